"""Where things live in the repository. All paths are absolute, derived from this file."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
MODELS_DIR = REPO_ROOT / "models"
SPACY_PIPELINE_DIR = MODELS_DIR / "spacy" / "de"  # referenced by config.yml (relative to the repo root)
CONFIG_FILE = REPO_ROOT / "config.yml"
DOMAIN_FILE = REPO_ROOT / "domain.yml"
VAR_DIR = REPO_ROOT / "var"
TRACKER_DB_NAME = "tracker.db"  # Rasa's SQL tracker store, inside the data directory
# Rasa training data: NLU, rules and stories. data/catalogue/ seeds the backend, not the model.
# Held-out NLU examples, written independently of the training data: never trained on.
HELDOUT_NLU_FILE = REPO_ROOT / "tests" / "nlu" / "test_nlu.yml"
TRAINING_DATA = (DATA_DIR / "nlu", DATA_DIR / "rules.yml", DATA_DIR / "stories.yml")
