"""Typed settings of the staff tools (command line and, later, the console)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, Field

from bot.paths import TRACKER_DB_NAME, VAR_DIR


class StaffSettings(BaseSettings):
    data_dir: Path = VAR_DIR
    retention_days: int = Field(90, ge=1, description="Conversations inactive this long are deleted.")

    class Config:
        env_prefix = "BUERGERBOT_"
        env_file = ".env"

    @property
    def tracker_database_url(self) -> str:
        return f"sqlite:///{self.data_dir / TRACKER_DB_NAME}"


@lru_cache
def get_settings() -> StaffSettings:
    return StaffSettings()
