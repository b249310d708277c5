"""What every Bürgerbot process shares in its settings: the environment prefix, the data
directory, the city's time zone and federal state. Each process has exactly one settings class
derived from `CommonSettings` (backend, gateway, staff command line; the action server's too)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseSettings, Field, SecretStr, validator

from bot.infra.paths import VAR_DIR


class CommonSettings(BaseSettings):
    data_dir: Path = Field(VAR_DIR, description="Runtime files (SQLite databases, logs, local secrets).")
    timezone: str = "Europe/Berlin"
    # Public holidays close every office; which ones depends on the federal state (ISO 3166-2 subdivision).
    federal_state: str = Field("NW", description="Federal state for public holidays, e.g. NW, BY, BE.")

    class Config:
        env_prefix = "BUERGERBOT_"
        env_file = ".env"


class RasaSettings(CommonSettings):
    """For processes that talk to Rasa's HTTP API (the gateway and the staff tools)."""

    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: SecretStr | None = None  # Rasa's HTTP API token (`rasa run --auth-token`)

    @validator("rasa_token", pre=True)
    def _empty_is_unset(cls, value: object) -> object:  # noqa: N805 - pydantic validator signature
        return value or None

    @property
    def rasa_token_value(self) -> str | None:
        return self.rasa_token.get_secret_value() if self.rasa_token else None
