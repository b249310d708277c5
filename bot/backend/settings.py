"""Typed settings of the service backend, read from the environment (prefix BUERGERBOT_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field

from bot.infra.paths import REPO_ROOT
from bot.infra.settings import CommonSettings


class BackendSettings(CommonSettings):
    """Settings of the backend process. Defaults are the embedded, single-machine ones."""

    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite in data_dir/backend.db.")
    catalogue_dir: Path = Field(REPO_ROOT / "data" / "catalogue")
    host: str = "127.0.0.1"
    port: int = 8001
    lockout_attempts: int = Field(5, description="Failed checks before a case number is locked.")
    lockout_minutes: int = 15

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'backend.db'}"


@lru_cache
def get_settings() -> BackendSettings:
    return BackendSettings()
