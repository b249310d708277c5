"""Train a Rasa model only when its inputs changed: the model name carries their fingerprint."""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.infra.paths import CONFIG_FILE, DOMAIN_FILE, MODELS_DIR, REPO_ROOT, SPACY_PIPELINE_DIR, TRAINING_DATA
from bot.infra.rasa_env import NO_TRAINING_CACHE, rasa_env
from bot.training import spacy_pipeline

logger = logging.getLogger(__name__)

# Code that changes what a trained model does: our custom NLU components and the pure text
# rules they use.
_COMPONENT_SOURCES = (REPO_ROOT / "bot" / "nlu", REPO_ROOT / "bot" / "core")
# Rasa's training output: its validation line, then one line per trained (or cached) component.
_VALIDATING = "Started validating domain and training data"
_COMPONENT = re.compile(r"(?:Starting to train|Restored) component '(\w+)'")
ProgressCallback = Callable[[float, str], None]


def training_data(data_dir: Path) -> tuple[Path, ...]:
    """The Rasa training inputs inside a data directory (data/catalogue seeds the backend instead)."""
    return (data_dir / "nlu", data_dir / "rules.yml", data_dir / "stories.yml")


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml", ".py", ".json"})


def fingerprint(config: Path = CONFIG_FILE, domain: Path = DOMAIN_FILE, data: tuple[Path, ...] = TRAINING_DATA) -> str:
    digest = hashlib.sha256()
    for path in [config, domain, *data, *_COMPONENT_SOURCES]:
        for file in _files(path):
            digest.update(str(file.relative_to(path.parent)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def model_path(
    config: Path = CONFIG_FILE,
    out_dir: Path = MODELS_DIR,
    domain: Path = DOMAIN_FILE,
    data: tuple[Path, ...] = TRAINING_DATA,
) -> Path:
    return out_dir / f"buergerbot-{fingerprint(config, domain, data)}.tar.gz"


def ensure_model(config: Path = CONFIG_FILE, out_dir: Path = MODELS_DIR) -> Path:
    """Return the model for the current inputs, training it first if there is none."""
    spacy_pipeline.ensure(SPACY_PIPELINE_DIR)
    target = model_path(config, out_dir)
    if target.exists():
        logger.info("model %s is up to date, not training", target.name)
        return target
    logger.info("training %s (data, config or domain changed)", target.name)
    return train(config, target)


def train(
    config: Path,
    target: Path,
    quiet: bool = False,
    *,
    domain: Path = DOMAIN_FILE,
    data: tuple[Path, ...] = TRAINING_DATA,
    on_progress: ProgressCallback | None = None,
    from_scratch: bool = False,
    nlu_only: bool = False,
) -> Path:
    """`rasa train` (NLU and dialogue) into `target` (….tar.gz); `on_progress(fraction, stage)`
    follows Rasa's output when given; `from_scratch` bypasses Rasa's component cache.
    `nlu_only` runs `rasa train nlu` on the first path of `data` (the NLU file or directory)
    and needs no domain: a model that parses but has no dialogue policies (benchmarks)."""
    spacy_pipeline.ensure(SPACY_PIPELINE_DIR)
    if nlu_only:
        inputs = ["nlu", "--config", str(config), "--nlu", str(data[0])]
    else:
        inputs = ["--config", str(config), "--domain", str(domain), "--data", *(str(p) for p in data)]
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        *inputs,
        "--out",
        str(target.parent),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    env = rasa_env(**NO_TRAINING_CACHE) if from_scratch else rasa_env()
    if on_progress is None:
        output = subprocess.DEVNULL if quiet else None
        subprocess.run(command, cwd=REPO_ROOT, check=True, env=env, stdout=output, stderr=output)
    else:
        _run_with_progress(command, env, on_progress)
    if not target.exists():
        raise RuntimeError(f"rasa train finished but {target} is missing")
    return target


def progress_of(line: str) -> tuple[float, str] | None:
    """Map one line of Rasa's training output to (fraction of training done, German stage).

    The fractions follow a training of config.yml from scratch on 2 cores (25 s): validating
    the data and building the graph (spaCy loads) take the first half, the featurizers and
    extractors seconds, the intent classifier (e5 and USE over every example, the SVM) most of
    the rest, the policies and packing the model the last tenth. Rasa trains in graph order,
    not pipeline order, and logs cached components as restored; the caller keeps the progress
    monotonic.
    """
    if _VALIDATING in line:
        return 0.05, "Trainingsdaten werden geprüft"
    if not (match := _COMPONENT.search(line)):
        return None
    component = match.group(1)
    if component.endswith("Policy"):
        return 0.9, "Dialogregeln werden trainiert"
    if component.endswith("Classifier"):
        return 0.55, "Sprachverständnis wird trainiert"
    return 0.5, "Merkmale werden berechnet"


def _run_with_progress(command: list[str], env: dict[str, str], on_progress: ProgressCallback) -> None:
    on_progress(0.0, "Training startet")
    tail: list[str] = []
    with subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0
    ) as process:
        assert process.stdout is not None
        buffer = b""
        best = 0.0
        while chunk := process.stdout.read(4096):
            buffer += chunk
            *lines, buffer = re.split(rb"[\r\n]", buffer)
            for raw in lines:
                line = raw.decode(errors="replace")
                if line.strip():
                    tail = ([*tail, line])[-20:]
                if (found := progress_of(line)) and found[0] >= best:
                    best = found[0]
                    on_progress(*found)
        returncode = process.wait()
    if returncode != 0:
        raise RuntimeError(f"rasa train failed with exit code {returncode}: " + " | ".join(tail[-5:]))
    on_progress(1.0, "Training abgeschlossen")
