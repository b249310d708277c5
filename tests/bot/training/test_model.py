"""Training helpers: fingerprints and progress from Rasa's output."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.infra.paths import CONFIG_FILE, DATA_DIR, DOMAIN_FILE
from bot.training.model import fingerprint, progress_of, training_data


def test_fingerprint_follows_content_not_location(tmp_path: Path):
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    assert fingerprint(CONFIG_FILE, DOMAIN_FILE, training_data(copy)) == fingerprint(
        CONFIG_FILE, DOMAIN_FILE, training_data(DATA_DIR)
    )
    (copy / "nlu" / "reviewed.yml").write_text('version: "3.1"\nnlu: []\n', encoding="utf-8")
    assert fingerprint(CONFIG_FILE, DOMAIN_FILE, training_data(copy)) != fingerprint(
        CONFIG_FILE, DOMAIN_FILE, training_data(DATA_DIR)
    )


def test_progress_is_read_from_rasa_output():
    hooks = "2026-12-02 10:52:01 INFO     rasa.engine.training.hooks  - "
    assert progress_of(
        "2026-12-02 10:51:48 INFO     rasa.cli.train  - Started validating domain and training data..."
    ) == (
        0.05,
        "Trainingsdaten werden geprüft",
    )
    assert progress_of(hooks + "Starting to train component 'CountVectorsFeaturizer'.") == (
        0.5,
        "Merkmale werden berechnet",
    )
    assert progress_of(hooks + "Starting to train component 'LinearIntentClassifier'.") == (
        0.55,
        "Sprachverständnis wird trainiert",
    )
    assert progress_of(hooks + "Restored component 'LinearIntentClassifier' from cache.")[0] == 0.55
    assert progress_of(hooks + "Starting to train component 'RulePolicy'.") == (0.9, "Dialogregeln werden trainiert")
    assert progress_of(hooks + "Finished training component 'RulePolicy'.") is None
    assert progress_of("some other line") is None
