"""Resolver tuning: the utility of a resolution, the dev file, and weights picked per fold
without looking at the fold."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.bench.tune_resolver import DevQuestion, cross_validated, folds, grid, read_dev, tally, utility
from bot.nlu.service_index import Candidate, Resolution, Weights

A, B = Candidate("a", "A", 2.0), Candidate("b", "B", 1.5)
ABOUT_A = DevQuestion("über a", frozenset({"a"}))
ELSEWHERE = DevQuestion("gibt es nicht", frozenset())


def test_utility_rewards_right_first_over_offered_and_punishes_wrong_answers() -> None:
    assert utility(ABOUT_A, Resolution("answer", (A,))) == 2
    assert utility(ABOUT_A, Resolution("choose", (A, B))) == 1.5
    assert utility(ABOUT_A, Resolution("choose", (B, A))) == 1
    assert utility(ABOUT_A, Resolution("none")) == 0
    assert utility(ABOUT_A, Resolution("answer", (B,))) == -3
    assert utility(ELSEWHERE, Resolution("answer", (B,))) == -6
    assert utility(ELSEWHERE, Resolution("choose", (A, B))) == -1
    assert utility(ELSEWHERE, Resolution("none")) == 0


def test_tally_counts_first_offered_and_wrong() -> None:
    questions = [ABOUT_A, ABOUT_A, ABOUT_A, ELSEWHERE]
    resolutions = [Resolution("answer", (A,)), Resolution("choose", (B, A)), Resolution("answer", (B,))]
    result = tally(questions, [*resolutions, Resolution("answer", (A,))])
    assert (result.first, result.offered) == (1 / 3, 2 / 3)
    assert (result.wrong_answers, result.ooc_answered, result.ooc_n) == (1, 1, 1)


def test_read_dev(tmp_path: Path) -> None:
    path = tmp_path / "dev.yml"
    path.write_text(
        'questions:\n  - {text: "Perso weg", services: [personalausweis]}\n  - {text: "Kindergeld", none: true}\n',
        encoding="utf-8",
    )
    assert read_dev(path) == [
        DevQuestion("Perso weg", frozenset({"personalausweis"})),
        DevQuestion("Kindergeld", frozenset()),
    ]


def test_each_fold_is_scored_with_weights_picked_on_the_other_folds() -> None:
    # Weighting 0 is best on every question but those of fold 0, where weighting 1 is.
    held = folds(10, k=2, seed=0)
    table = np.zeros((2, 10), np.float32)
    table[0] = 2
    table[1, held[0]] = 3
    picks = cross_validated(table, k=2, seed=0)
    assert [pick for _, pick in picks] == [0, 1]  # fold 0 is scored with what fold 1 prefers
    assert sorted(int(i) for fold, _ in picks for i in fold) == list(range(10))


def test_the_grid_varies_only_its_weights() -> None:
    weightings = grid(Weights())
    assert len({w.lexical for w in weightings}) == 1 and len({w.dense for w in weightings}) > 1
    assert len(weightings) == len(set(weightings))
