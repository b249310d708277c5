"""One message (e5 and USE side by side, unpadded) gets the features its row gets in a batch."""

import numpy as np

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
