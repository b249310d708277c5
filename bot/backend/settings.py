"""Typed settings of the service backend, read from the environment (prefix BUERGERBOT_)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, validator

from bot.infra.holiday_calendar import federal_states
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
    # Appointments (docs/appointments.md).
    backend_token: SecretStr | None = Field(
        None,
        description="Bearer token of the internal routes (staff data of appointments) the gateway calls; "
        "unset: those routes answer 403. `buergerbot run` generates one per start.",
    )
    appointment_secret: SecretStr | None = Field(
        None,
        description="Signs booking codes, .ics download links, cancellation links and office feed tokens; "
        "unset: generated once in data_dir/appointment_secret (mode 600).",
    )
    appointment_hold_minutes: int = Field(5, ge=1, le=60, description="How long a held slot stays reserved.")
    appointment_holds_per_window: int = Field(10, ge=1, description="Holds per client key in one window.")
    appointment_hold_window_minutes: int = Field(10, ge=1)
    appointment_horizon_days: int = Field(28, ge=1, le=366, description="Default search range: 4 weeks.")
    appointment_lead_minutes: int = Field(30, ge=0, description="The earliest slot offered starts this far ahead.")
    fixed_now: datetime | None = Field(
        None,
        description="For tests and demos only: the backend's clock stands still at this moment "
        "(ISO datetime; without an offset it is local time in `timezone`). Empty: the real clock.",
    )
    # E-mail (bot/backend/mail): the outbox always fills; the worker sends only when smtp_host is set.
    smtp_host: str = Field("", description="SMTP server; empty: e-mails stay in the outbox, unsent.")
    smtp_port: int = 587
    smtp_user: str = Field("", description="SMTP login; empty: no AUTH.")
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(True, description="STARTTLS before AUTH and sending; refuses a server without it.")
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "Bürgerservice Musterstadt <buergerservice@localhost>"
    mail_poll_seconds: float = Field(5.0, description="How often the mail worker looks for due messages.")
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="The gateway's public address, for links in e-mails."
    )

    @validator("fixed_now", "smtp_password", pre=True)
    def _empty_is_unset(cls, value: object) -> object:  # noqa: N805 - pydantic validator signature
        return value or None

    @validator("federal_state")
    def _known_state(cls, value: str) -> str:  # noqa: N805 - pydantic validator signature
        if value not in federal_states():
            raise ValueError(f"unknown federal state {value!r}, expected one of {', '.join(federal_states())}")
        return value

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'backend.db'}"


@lru_cache
def get_settings() -> BackendSettings:
    return BackendSettings()
