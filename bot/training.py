"""Train a Rasa model only when its inputs changed: the model name carries their fingerprint."""
from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from pathlib import Path

from bot.nlu import spacy_pipeline
from bot.rasa_env import rasa_env
from bot.paths import CONFIG_FILE, DOMAIN_FILE, MODELS_DIR, REPO_ROOT, SPACY_PIPELINE_DIR, TRAINING_DATA

logger = logging.getLogger(__name__)

# Code that changes what a trained model does: our custom NLU components.
_COMPONENT_SOURCES = REPO_ROOT / "bot" / "nlu"


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml", ".py", ".json"})


def fingerprint(config: Path = CONFIG_FILE, domain: Path = DOMAIN_FILE,
                data: tuple[Path, ...] = TRAINING_DATA) -> str:
    digest = hashlib.sha256()
    for path in [config, domain, *data, _COMPONENT_SOURCES]:
        for file in _files(path):
            digest.update(str(file.relative_to(REPO_ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def model_path(config: Path = CONFIG_FILE, out_dir: Path = MODELS_DIR) -> Path:
    return out_dir / f"buergerbot-{fingerprint(config)}.tar.gz"


def ensure_model(config: Path = CONFIG_FILE, out_dir: Path = MODELS_DIR) -> Path:
    """Return the model for the current inputs, training it first if there is none."""
    spacy_pipeline.ensure(SPACY_PIPELINE_DIR)
    target = model_path(config, out_dir)
    if target.exists():
        logger.info("model %s is up to date, not training", target.name)
        return target
    logger.info("training %s (data, config or domain changed)", target.name)
    return train(config, target)


def train(config: Path, target: Path, quiet: bool = False) -> Path:
    """`rasa train` (NLU and dialogue) of the bot's data into `target` (….tar.gz)."""
    spacy_pipeline.ensure(SPACY_PIPELINE_DIR)
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(config), "--domain", str(DOMAIN_FILE),
        "--data", *(str(p) for p in TRAINING_DATA),
        "--out", str(target.parent), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]
    output = subprocess.DEVNULL if quiet else None
    subprocess.run(command, cwd=REPO_ROOT, check=True, env=rasa_env(), stdout=output, stderr=output)
    if not target.exists():
        raise RuntimeError(f"rasa train finished but {target} is missing")
    return target
