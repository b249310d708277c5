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
    assert progress_of("Epochs:  50%|█████     | 30/60 [00:38<00:33]") == (0.475, "Sprachverständnis wird trainiert")
    assert progress_of("Starting to train component 'RulePolicy'.")[0] == 0.9
    assert progress_of("Starting to train component 'SpacyNLP'.")[0] == 0.05
    assert progress_of("some other line") is None
