"""The service resolver's weights and thresholds, chosen by cross-validation on its dev set.

`python -m bot.bench.tune_resolver [--k 5]` reads tests/nlu/resolver_dev.yml (never the held-out
files), builds the resolver's index over the catalogue with e5 as `config.yml` configures it,
computes every question's signals once and replays `ServiceIndex.combine` / `decide` for each
point of a grid. It reports the k-fold estimate (weights picked on k-1 folds, scored on the
held-back fold) and the weights that score best on the whole dev set, to be copied into
`bot.nlu.service_index.Weights`.

Objective per question (`utility`): the right service answered +2, first among the offered
buttons +1.5, further down +1, a wrong answer -3, for a question about a service the catalogue
does not have an answer -6 (the issue: never a confident wrong service there) and a choice -1;
"none" 0. A wrong answer costs more than a question back gains, because a citizen who is sent
to the wrong service may not notice; a choice costs a click. The grid was moved where the best
point lay on its edge (answer, choose, coverage); description and event sat at one value in every
earlier run and are fixed; a bonus for the services the gazetteer names was 0 in every run and is
gone.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from bot.infra.paths import CONFIG_FILE, REPO_ROOT, TRAINING_DATA
from bot.nlu.service_index import Embed, FloatArray, Resolution, ServiceIndex, Signals, Weights

DEV_FILE = REPO_ROOT / "tests" / "nlu" / "resolver_dev.yml"

# Score weights change the ranking (combine); decision weights only the answer/choose/none cut.
SCORE_GRID: dict[str, Sequence[float]] = {
    "dense": (0.12, 0.18, 0.25),
    "coverage": (1.3, 1.7, 2.1),
    "description": (0.4,),
    "event": (1.0,),
}
DECISION_GRID: dict[str, Sequence[float]] = {
    "answer": (2.3, 2.6, 3.0),
    "margin": (0.15, 0.3, 0.45),
    "choose": (1.4, 1.6, 1.8, 2.0, 2.2),
    "gap": (0.5, 0.7),
    "event_order": (0.1, 0.3),
}


@dataclass(frozen=True)
class DevQuestion:
    text: str
    services: frozenset[str]  # empty: the catalogue has no such service

    @property
    def out_of_catalogue(self) -> bool:
        return not self.services


def read_dev(path: Path = DEV_FILE) -> list[DevQuestion]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    return [DevQuestion(str(q["text"]), frozenset(() if q.get("none") else q["services"])) for q in raw]


def utility(question: DevQuestion, resolution: Resolution) -> float:
    ids = [c.id for c in resolution.candidates]
    if question.out_of_catalogue:
        return {"answer": -6.0, "choose": -1.0}.get(resolution.decision, 0.0)
    if resolution.decision == "none" or not ids:
        return 0.0
    if resolution.decision == "answer":
        return 2.0 if ids[0] in question.services else -3.0
    if ids[0] in question.services:
        return 1.5
    return 1.0 if question.services & set(ids) else 0.0


@dataclass(frozen=True)
class Tally:
    """Share of service questions with the right service first / first or offered, and answers to
    out-of-catalogue questions."""

    first: float
    offered: float
    wrong_answers: int
    ooc_answered: int
    ooc_n: int

    def line(self) -> str:
        return (
            f"first {self.first:.3f}, first or offered {self.offered:.3f}, wrong answers {self.wrong_answers}, "
            f"out-of-catalogue answered {self.ooc_answered}/{self.ooc_n}"
        )


def tally(questions: Sequence[DevQuestion], resolutions: Sequence[Resolution]) -> Tally:
    first = offered = wrong = ooc = 0
    services = [(q, r) for q, r in zip(questions, resolutions, strict=True) if not q.out_of_catalogue]
    for question, resolution in zip(questions, resolutions, strict=True):
        ids = [c.id for c in resolution.candidates] if resolution.decision != "none" else []
        if question.out_of_catalogue:
            ooc += resolution.decision == "answer"
            continue
        first += bool(ids) and ids[0] in question.services
        offered += bool(question.services & set(ids))
        wrong += resolution.decision == "answer" and ids[0] not in question.services
    n = max(len(services), 1)
    return Tally(first / n, offered / n, wrong, ooc, len(questions) - len(services))


def grid(base: Weights) -> list[Weights]:
    names = [*SCORE_GRID, *DECISION_GRID]
    values = [*SCORE_GRID.values(), *DECISION_GRID.values()]
    return [replace(base, **dict(zip(names, point, strict=True))) for point in itertools.product(*values)]


@dataclass(frozen=True)
class Observed:
    """What the resolver sees of a question: its signals and the services the gazetteer named."""

    signals: Signals
    named: tuple[str, ...]


def observe(index: ServiceIndex, questions: Sequence[DevQuestion], nlu_data: Path = TRAINING_DATA[0]) -> list[Observed]:
    """Signals per question, and the service entities of the gazetteer trained on `nlu_data` (as
    the bot's pipeline runs it before the resolver)."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.gazetteer import Gazetteer
    from bot.nlu.gazetteer_extractor import surfaces_from_training_data

    gazetteer = Gazetteer(surfaces_from_training_data(load_data(str(nlu_data)), ["service", "office"]))
    return [
        Observed(index.signals(q.text), tuple(f.value for f in gazetteer.find(q.text) if f.entity == "service"))
        for q in questions
    ]


def resolutions_for(index: ServiceIndex, observed: Sequence[Observed], weights: Weights) -> list[Resolution]:
    index.weights = weights
    return [index.decide(*index.combine(o.signals), named=o.named) for o in observed]


def outcomes(
    index: ServiceIndex, observed: Sequence[Observed], questions: Sequence[DevQuestion], candidates: Sequence[Weights]
) -> NDArray[np.float32]:
    """utility[c, q] for every candidate weighting c and question q."""
    table = np.zeros((len(candidates), len(questions)), np.float32)
    key: tuple[float, ...] | None = None
    scored: list[tuple[FloatArray, FloatArray]] = []
    for row, weights in enumerate(candidates):
        index.weights = weights
        score_key = tuple(getattr(weights, name) for name in SCORE_GRID)
        if score_key != key:  # the grid varies the score weights slowest: combine once per point
            key, scored = score_key, [index.combine(o.signals) for o in observed]
        table[row] = [
            utility(q, index.decide(*scores, named=o.named))
            for q, o, scores in zip(questions, observed, scored, strict=True)
        ]
    return table


def folds(n: int, k: int, seed: int) -> list[NDArray[np.intp]]:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i::k] for i in range(k)]


def cross_validated(table: NDArray[np.float32], k: int, seed: int) -> list[tuple[NDArray[np.intp], int]]:
    """Per fold, its questions and the weighting picked on the other folds (the first best: the
    grid's order breaks ties)."""
    picks = []
    for held in folds(table.shape[1], k, seed):
        train = np.setdiff1d(np.arange(table.shape[1]), held)
        picks.append((held, int(np.argmax(table[:, train].sum(axis=1)))))
    return picks


def resolver_embed(config: Path = CONFIG_FILE) -> Embed | None:
    from bot.nlu.service_resolver import ServiceResolver

    pipeline = yaml.safe_load(config.read_text(encoding="utf-8")).get("pipeline") or []
    settings: dict[str, Any] = next((c for c in pipeline if str(c.get("name", "")).endswith("ServiceResolver")), {})
    return ServiceResolver.retrieval(settings)


def _weights_lines(weights: Weights) -> Iterable[str]:
    for f in fields(Weights):
        yield f"    {f.name}: float = {getattr(weights, f.name)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dev", type=Path, default=DEV_FILE)
    args = parser.parse_args(argv)

    from bot.nlu.catalogue_source import CatalogueSource

    questions = read_dev(args.dev)
    index = ServiceIndex.build(CatalogueSource().load(), resolver_embed(), Weights())
    observed = observe(index, questions)
    candidates = grid(Weights())
    table = outcomes(index, observed, questions, candidates)
    picks = cross_validated(table, args.k, args.seed)
    held_out: dict[int, Resolution] = {}
    for held, pick in picks:
        resolutions = resolutions_for(index, [observed[i] for i in held], candidates[pick])
        held_out.update(zip((int(i) for i in held), resolutions, strict=True))
    estimate = np.mean([utility(q, held_out[i]) for i, q in enumerate(questions)])
    current = resolutions_for(index, observed, Weights())
    best = int(np.argmax(table.sum(axis=1)))
    chosen = resolutions_for(index, observed, candidates[best])
    print(f"Resolver dev set {args.dev.name}: {len(questions)} questions, {len(candidates)} weightings")
    mean_utility = np.mean([utility(q, r) for q, r in zip(questions, current, strict=True)])
    print(f"  current Weights(): utility {mean_utility:.3f}; {tally(questions, current).line()}")
    print(
        f"  {args.k}-fold CV (weights picked on the other folds): utility {estimate:.3f}; "
        f"{tally(questions, [held_out[i] for i in range(len(questions))]).line()}"
    )
    print(f"  best on all of it: utility {table[best].mean():.3f}; {tally(questions, chosen).line()}")
    print("  as Weights:")
    print("\n".join(_weights_lines(candidates[best])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
