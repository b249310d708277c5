"""The service catalogue as the NLU sees it: read from files, re-read when they change.

The directory is `BUERGERBOT_CATALOGUE_DIR` (default data/catalogue). Staff edit the YAML files
and the resolver picks them up without retraining: `CatalogueSource.changed()` compares the
files' sizes and modification times, at most every `check_seconds`.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.core.catalogue import Catalogue
from bot.infra.catalogue_files import catalogue_signature, default_catalogue_dir, load_catalogue


class CatalogueSource:
    def __init__(self, directory: Path | None = None, check_seconds: float = 5.0) -> None:
        self.directory = directory or default_catalogue_dir()
        self._check_seconds = check_seconds
        self._checked_at = float("-inf")
        self._signature: tuple[tuple[str, int, int], ...] = ()

    def load(self) -> Catalogue:
        """Read the catalogue now (raises `CatalogueError`) and remember its files' signature."""
        signature = catalogue_signature(self.directory)
        catalogue = load_catalogue(self.directory)
        self._signature, self._checked_at = signature, time.monotonic()
        return catalogue

    def changed(self) -> bool:
        """Whether the files differ from the last `load` (checked at most every `check_seconds`)."""
        now = time.monotonic()
        if now - self._checked_at < self._check_seconds:
            return False
        self._checked_at = now
        return catalogue_signature(self.directory) != self._signature
