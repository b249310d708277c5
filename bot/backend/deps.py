"""FastAPI dependencies of the backend: settings, a database session per request and the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from bot.backend.settings import BackendSettings, get_settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[BackendSettings, Depends(get_settings)]


def get_now(settings: SettingsDep) -> datetime:
    """The current moment in the city's time zone: the one clock of every route (tests override
    this dependency; `BUERGERBOT_FIXED_NOW` stops it for demos and conversation tests)."""
    zone = ZoneInfo(settings.timezone)
    if settings.fixed_now is None:
        return datetime.now(zone)
    fixed = settings.fixed_now
    return fixed.replace(tzinfo=zone) if fixed.tzinfo is None else fixed.astimezone(zone)


ClockDep = Annotated[datetime, Depends(get_now)]
