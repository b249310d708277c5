"""FallbackClassifier `threshold` / `ambiguity_threshold` chosen by cross-validation over data/nlu only.

`python -m bot.bench.tune_fallback [--k 5]` trains config.yml on k-1 folds, parses the held-back
fold, and replays Rasa's fallback rule on the classifier's own ranking for every pair of the grid
(bot.bench.scoring.tune_fallback: utility = right answers - wrong answers, a fallback neither).
The held-out files are never read here. `make bench` prints the same summary from its own CV run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

from bot.infra.paths import CONFIG_FILE, SPACY_PIPELINE_DIR, TRAINING_DATA
from bot.training import spacy_pipeline

from .cv import CvResult, cross_validate
from .scoring import FallbackChoice, fallback_outcome, ranking_without_fallback, tune_fallback


def _line(label: str, c: FallbackChoice) -> str:
    return (
        f"  {label}: threshold {c.threshold:.2f}, ambiguity {c.ambiguity_threshold:.2f} -> "
        f"utility {c.utility:.3f}, accuracy {c.accuracy:.3f}, fallback {c.fallback_rate:.3f}, wrong {c.wrong_rate:.3f}"
    )


def configured_thresholds(config: Path = CONFIG_FILE) -> tuple[float, float]:
    """(threshold, ambiguity_threshold) of the FallbackClassifier in `config` (Rasa's defaults 0.3 / 0.1)."""
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8")).get("pipeline") or []
    for component in pipeline:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3)), float(component.get("ambiguity_threshold", 0.1))
    raise ValueError(f"{config} has no FallbackClassifier")


def tuning_summary(result: CvResult, current: tuple[float, float]) -> list[str]:
    truth = [p.example.intent for p in result.predictions]
    rankings = [ranking_without_fallback(p.parse) for p in result.predictions]
    best = tune_fallback(truth, rankings)
    now = fallback_outcome(truth, rankings, *current)
    no_fallback = fallback_outcome(truth, rankings, 0.0, 0.0)

    return [
        f"Fallback thresholds by {result.k}-fold CV over data/nlu (n={len(truth)}; utility = right - wrong):",
        _line("chosen by CV", best),
        _line("config.yml now", now),
        _line("no fallback", no_fallback),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", type=Path, default=CONFIG_FILE)
    args = parser.parse_args(argv)
    spacy_pipeline.ensure(SPACY_PIPELINE_DIR)
    with tempfile.TemporaryDirectory(prefix="tune-fallback-") as tmp:
        result = cross_validate(args.config, TRAINING_DATA[0], Path(tmp), args.k, args.seed, name="tune")
    print(*tuning_summary(result, configured_thresholds(args.config)), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
