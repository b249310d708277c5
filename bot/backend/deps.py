"""FastAPI dependencies of the backend: settings, a database session per request, the clock, the
service token of internal routes and the appointment secret."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, HTTPException, Request
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


SERVICE_TOKEN_UNSET = "Interne Routen sind gesperrt: BUERGERBOT_BACKEND_TOKEN ist nicht gesetzt."
SERVICE_TOKEN_WRONG = "Diese Route ist nur für interne Dienste (Bearer-Token des Backends)."


def require_service_token(settings: SettingsDep, authorization: str | None = Header(None)) -> None:
    """Internal routes (the gateway's staff console calls them): `Authorization: Bearer <token>`
    with the backend's service token, compared in constant time; without a configured token, none."""
    if settings.backend_token is None:
        raise HTTPException(status_code=403, detail=SERVICE_TOKEN_UNSET)
    expected = f"Bearer {settings.backend_token.get_secret_value()}".encode()
    given = (authorization or "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(given, expected):
        raise HTTPException(status_code=401, detail=SERVICE_TOKEN_WRONG, headers={"WWW-Authenticate": "Bearer"})


ServiceCaller = Depends(require_service_token)


def get_appointment_secret(request: Request) -> bytes:
    """The key that signs booking codes, links and feed tokens (loaded once by the app factory)."""
    secret: bytes = request.app.state.appointment_secret
    return secret


AppointmentSecretDep = Annotated[bytes, Depends(get_appointment_secret)]
