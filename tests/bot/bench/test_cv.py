"""Stratified folds and the fold training files (no training here)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.bench.cv import load_examples, stratified_folds, write_fold_training_data

FOLD_DATA = """version: "3.1"
nlu:
- intent: ask_fees
  examples: |
    - was kostet der [perso](service)
    - gebühr für den [reisepass](service)
    - wie teuer ist das
- intent: greet
  examples: |
    - hallo
    - moin
    - guten tag
- synonym: personalausweis
  examples: |
    - perso
- lookup: service
  examples: |
    - reisepass
"""


def test_every_index_is_in_exactly_one_fold_and_labels_are_spread_evenly():
    labels = ["a"] * 10 + ["b"] * 7 + ["c"] * 3
    folds = stratified_folds(labels, k=5, seed=1)
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    for label, total in Counter(labels).items():
        per_fold = [sum(labels[i] == label for i in fold) for fold in folds]
        assert max(per_fold) - min(per_fold) <= 1, (label, per_fold)
        assert sum(per_fold) == total
    sizes = [len(fold) for fold in folds]
    assert max(sizes) - min(sizes) <= 1


def test_folds_are_deterministic_per_seed_and_differ_between_seeds():
    labels = [f"intent{i % 4}" for i in range(40)]
    assert stratified_folds(labels, 5, seed=3) == stratified_folds(labels, 5, seed=3)
    assert stratified_folds(labels, 5, seed=3) != stratified_folds(labels, 5, seed=4)


def test_k_below_two_is_refused():
    with pytest.raises(ValueError, match="k >= 2"):
        stratified_folds(["a", "b"], k=1)


def test_fold_file_keeps_the_chosen_examples_and_everything_that_is_not_an_example(tmp_path: Path):
    source = tmp_path / "nlu.yml"
    source.write_text(FOLD_DATA, encoding="utf-8")
    training_data, examples = load_examples(source)
    keep = [i for i, e in enumerate(examples) if e.text != "moin"]
    written = write_fold_training_data(training_data, keep, tmp_path / "fold" / "nlu.yml")
    fold_data, fold_examples = load_examples(written)
    assert sorted(e.text for e in fold_examples) == sorted(e.text for e in examples if e.text != "moin")
    assert fold_data.entity_synonyms == {"perso": "personalausweis"}
    assert [t["name"] for t in fold_data.lookup_tables] == ["service"]
    assert len(fold_data.entity_examples) == 2


def test_folds_are_trained_nlu_only_on_their_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`train(..., nlu_only=True)` (used per fold) runs `rasa train nlu` on the given NLU file, no domain."""
    from bot.training import model

    commands: list[list[str]] = []

    def fake_run(command: list[str], **kwargs: object) -> None:
        commands.append(command)
        (tmp_path / "fold1.tar.gz").write_bytes(b"model")

    monkeypatch.setattr(model.spacy_pipeline, "ensure", lambda path: path)
    monkeypatch.setattr(model.subprocess, "run", fake_run)
    data = tmp_path / "fold1" / "nlu.yml"
    model.train(Path("cfg.yml"), tmp_path / "fold1.tar.gz", quiet=True, data=(data,), nlu_only=True)
    (command,) = commands
    assert command[3:9] == ["train", "nlu", "--config", "cfg.yml", "--nlu", str(data)]
    assert "--domain" not in command and command[-1] == "fold1"
