"""One message (e5 and USE side by side, unpadded) gets the features its row gets in a batch."""

import numpy as np

from bot.nlu.e5.encoder import truncate
from bot.nlu.sentence_embeddings import Embeddings, SentenceEmbedder

TEXTS = ["Was kostet ein Reisepass?", "wann hat das bürgeramt offen", "Termin absagen bitte"]


def test_single_message_features_equal_its_batch_row():
    embedder = SentenceEmbedder(e5_layer=8, use=True)
    batch, top = embedder.embed(TEXTS)
    assert batch.shape == (3, 384 + 512) and top is None  # no layers above e5_layer run
    for row, text in enumerate(TEXTS):
        single, _ = embedder.embed([text])
        np.testing.assert_allclose(single[0], batch[row], atol=1e-4)


def test_training_features_equal_the_prediction_features():
    embedder = SentenceEmbedder(e5_layer=8, use=True)
    features, states = embedder.fit(TEXTS)
    assert states is None
    np.testing.assert_allclose(features, embedder.embed(TEXTS).features, atol=1e-4)


def test_nothing_enabled_gives_no_features():
    assert SentenceEmbedder(e5_layer=0, use=False).embed(TEXTS) == Embeddings(None, None)


def test_a_message_longer_than_the_encoder_limit_is_truncated_not_refused():
    embedder = SentenceEmbedder(e5_layer=8, use=True)
    long_text = " ".join(["Reisepass"] + ["beantragen"] * 4999)  # 5,000 words, far over 512 tokens
    features, _ = embedder.embed([long_text])
    assert features.shape == (1, 384 + 512) and np.isfinite(features).all()
    batch, _ = embedder.embed([long_text, "Was kostet ein Reisepass?"])
    np.testing.assert_allclose(batch[0], features[0], atol=1e-4)
    assert embedder.fit([long_text])[0].shape == (1, 384 + 512)


def test_truncate_keeps_the_closing_token():
    assert truncate([0, 5, 6, 7, 2], 3) == [0, 5, 2]
    assert truncate([0, 5, 2], 3) == [0, 5, 2]
