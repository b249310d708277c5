"""Where things live in the repository. All paths are absolute, derived from this file."""

from __future__ import annotations

import os
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

# Runtime files hold conversations, hashes and secrets: only the owner may read them.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> Path:
    """`path` (and missing parents) as a directory only its owner can enter (0700), also when it
    already existed with a wider mode."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    path.chmod(PRIVATE_DIR_MODE)
    return path


def write_private_text(path: Path, text: str) -> Path:
    """Write `text` to `path` readable by its owner only (0600), also when the file existed with a
    wider mode; the file never exists with a wider mode in between."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # an existing file keeps its mode on open
        file.write(text)
    return path


HANDOFF_TEAMS_FILE = DATA_DIR / "handoff" / "teams.yml"
