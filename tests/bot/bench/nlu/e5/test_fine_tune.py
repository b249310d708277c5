"""Fine-tuning the top layer learns a small task it could not solve before."""

import numpy as np

from bot.bench.nlu.e5.fine_tune import FineTuneSettings, Head, fine_tune
from bot.nlu.e5.encoder import E5Encoder

# Two intents the untrained head cannot know: opening hours vs. fees.
TEXTS = [
    "Wann hat das Bürgeramt offen?",
    "Öffnungszeiten Standesamt",
    "Ist das Amt samstags geöffnet?",
    "Bis wann ist heute offen?",
    "Haben Sie morgen früh auf?",
    "wann macht ihr auf",
    "Was kostet ein Reisepass?",
    "Gebühr für den Personalausweis",
    "Wie teuer ist eine Meldebescheinigung?",
    "Was muss ich für die Ummeldung bezahlen?",
    "Kosten Führungszeugnis",
    "was kostet das",
]
LABELS = np.array([0] * 6 + [1] * 6)


def test_top_layer_and_head_learn_the_training_set(image):
    encoder = E5Encoder(image, split=11)
    before = [w.copy() for w in encoder.upper_weights()]
    ids = [image.tokenizer(t) for t in TEXTS]
    _, states = encoder.lower(ids, keep_states=True)
    head = fine_tune(encoder, states, LABELS, 2, FineTuneSettings(epochs=30, batch_size=4, seed=1))
    _, top = encoder.pools(ids)
    assert (head.log_probabilities(top).argmax(axis=1) == LABELS).mean() == 1.0
    assert any(not np.allclose(a, b) for a, b in zip(before, encoder.upper_weights(), strict=False))


def test_head_gives_log_probabilities():
    head = Head(np.array([[1.0, -1.0], [0.0, 2.0]], np.float32), np.zeros(2, np.float32))
    log_p = head.log_probabilities(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32))
    np.testing.assert_allclose(np.exp(log_p).sum(axis=1), 1.0, rtol=1e-6)
    assert log_p.argmax(axis=1).tolist() == [0, 1]
