"""Typed settings of the staff tools: the console (inside the gateway) and the command line."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, validator

from bot.infra.paths import CONFIG_FILE, DATA_DIR, DOMAIN_FILE, HELDOUT_NLU_FILE, MODELS_DIR, TRACKER_DB_NAME, VAR_DIR
from bot.infra.rasa_client import RasaApi
from bot.infra.settings import RasaSettings


class StaffSettings(RasaSettings):
    """Settings of the staff tools. The staff command line uses it as its settings object; the
    gateway's settings (which host the console) extend it."""

    retention_days: int = Field(90, ge=1, description="Conversations inactive this long are deleted.")
    # Rasa's SQL tracker store (the log) and the staff database (accounts, reviews, ratings,
    # audit log, model registry). Empty means SQLite files in data_dir.
    tracker_database_url: str = ""
    staff_database_url: str = ""

    # Retraining: where reviewed examples are exported and what a candidate is trained from.
    training_data_dir: Path = DATA_DIR
    training_config: Path = CONFIG_FILE
    domain_file: Path = DOMAIN_FILE
    models_dir: Path = MODELS_DIR
    initial_model: Path | None = None  # the model Rasa was started with (set by `buergerbot run`)
    heldout_nlu_file: Path = HELDOUT_NLU_FILE
    max_accuracy_drop: float = Field(0.01, ge=0, description="Promotion is refused above this held-out drop.")
    low_confidence: float = Field(0.6, gt=0, lt=1, description="Below this the inbox flags a message.")

    session_hours: float = Field(8.0, gt=0)
    # Staff login attempts per client address in 5 minutes, checked before any password hashing.
    login_attempts_per_client: int = Field(20, ge=1)
    cookie_secure: bool = False  # set to true behind HTTPS

    @validator("tracker_database_url", always=True)
    def _default_tracker(cls, value: str, values: dict[str, Any]) -> str:  # noqa: N805 - pydantic signature
        return value or f"sqlite:///{values.get('data_dir', VAR_DIR) / TRACKER_DB_NAME}"

    @validator("staff_database_url", always=True)
    def _default_staff(cls, value: str, values: dict[str, Any]) -> str:  # noqa: N805 - pydantic signature
        return value or f"sqlite:///{values.get('data_dir', VAR_DIR) / 'staff.db'}"

    def rasa_api(self) -> RasaApi:
        return RasaApi(self.rasa_url, self.rasa_token_value)

    @property
    def reviewed_export_file(self) -> Path:
        return self.training_data_dir / "nlu" / "reviewed.yml"


@lru_cache
def get_settings() -> StaffSettings:
    return StaffSettings()
