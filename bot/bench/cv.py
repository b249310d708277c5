"""Stratified k-fold cross-validation over the NLU training data (data/nlu), one Rasa model per fold.

The folds are stratified by intent and deterministic for a seed. Each fold's training file keeps
everything in data/nlu that is not an example (synonyms, lookup tables, regexes), so only the
examples of the held-back fold are unseen. Predictions are made in this process with Rasa's
`Agent`, one utterance at a time as a served model parses.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.training.model import train

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    text: str
    intent: str


@dataclass(frozen=True)
class FoldPrediction:
    """One held-back example and Rasa's parse result for it."""

    example: Example
    parse: dict[str, Any]


@dataclass(frozen=True)
class CvResult:
    k: int
    predictions: list[FoldPrediction]
    train_seconds: list[float]


def stratified_folds(labels: Sequence[str], k: int, seed: int = 0) -> list[list[int]]:
    """Indices of `labels` split into `k` folds; each label's items are shuffled (by `seed`) and
    dealt round-robin, so every fold holds about 1/k of every label. Folds are sorted lists."""
    if k < 2:
        raise ValueError(f"k-fold cross-validation needs k >= 2, got {k}")
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            folds[(offset + position) % k].append(index)
        # the next label starts where this one stopped: fold sizes stay within one of each other
        offset = (offset + len(indices)) % k
    return [sorted(fold) for fold in folds]


def load_examples(nlu_data: Path) -> tuple[Any, list[Example]]:
    """Rasa's TrainingData for `nlu_data` (file or directory) and its intent examples."""
    from rasa.shared.nlu.training_data.loading import load_data

    training_data = load_data(str(nlu_data))
    examples = [Example(m.get("text"), m.get("intent")) for m in training_data.intent_examples]
    return training_data, examples


def write_fold_training_data(training_data: Any, keep: Sequence[int], target: Path) -> Path:
    """Rasa YAML with the intent examples at `keep` plus all synonyms, lookup tables and regexes."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = training_data.intent_examples
    subset = TrainingData(
        training_examples=[messages[i] for i in keep],
        entity_synonyms=dict(training_data.entity_synonyms),
        regex_features=list(training_data.regex_features),
        lookup_tables=list(training_data.lookup_tables),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    RasaYAMLWriter().dump(target, subset)
    return target


def parse_all(model: Path, texts: Sequence[str]) -> tuple[list[dict[str, Any]], list[float]]:
    """Parse results and per-message milliseconds for `texts` with the model loaded in this process."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> tuple[list[dict[str, Any]], list[float]]:
        await agent.parse_message("warm-up")
        results, latencies = [], []
        for text in texts:
            started = time.perf_counter()
            results.append(await agent.parse_message(text))
            latencies.append((time.perf_counter() - started) * 1000)
        return results, latencies

    return asyncio.run(run())


def cross_validate(config: Path, nlu_data: Path, work_dir: Path, k: int, seed: int = 0, name: str = "cv") -> CvResult:
    """Train `config` on k-1 folds of `nlu_data` and parse the held-back fold, k times."""
    training_data, examples = load_examples(nlu_data)
    folds = stratified_folds([e.intent for e in examples], k, seed)
    predictions: list[FoldPrediction] = []
    seconds: list[float] = []
    for number, test_fold in enumerate(folds, start=1):
        held_back = set(test_fold)
        keep = [i for i in range(len(examples)) if i not in held_back]
        data_file = write_fold_training_data(training_data, keep, work_dir / f"{name}-fold{number}" / "nlu.yml")
        started = time.perf_counter()
        model = train(
            config,
            work_dir / f"{name}-fold{number}.tar.gz",
            quiet=True,
            data=(data_file,),
            nlu_only=True,
            from_scratch=True,
        )
        seconds.append(time.perf_counter() - started)
        logger.info("%s fold %d/%d trained in %.0f s", name, number, k, seconds[-1])
        results, _ = parse_all(model, [examples[i].text for i in test_fold])
        predictions += [FoldPrediction(examples[i], r) for i, r in zip(test_fold, results, strict=True)]
        model.unlink()
    return CvResult(k, predictions, seconds)
