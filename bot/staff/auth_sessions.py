"""Console sessions: a random cookie value (stored only as a SHA-256 hash) and a CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from .accounts import StaffUser, get_user
from .tables import staff_sessions


@dataclass(frozen=True)
class StaffSession:
    user: StaffUser
    csrf_token: str
    expires_at: float

    def csrf_matches(self, token: str | None) -> bool:
        return bool(token) and token is not None and hmac.compare_digest(token.encode(), self.csrf_token.encode())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine: sa.engine.Engine, user: StaffUser, hours: float) -> tuple[str, StaffSession]:
    """Returns the cookie value (shown once, never stored) and the session."""
    token = secrets.token_urlsafe(32)
    session = StaffSession(user, secrets.token_urlsafe(32), time.time() + hours * 3600)
    with engine.begin() as conn:
        conn.execute(staff_sessions.delete().where(staff_sessions.c.expires_at < time.time()))
        conn.execute(
            staff_sessions.insert().values(
                token_hash=_hash(token), user_id=user.id, csrf_token=session.csrf_token, expires_at=session.expires_at
            )
        )
    return token, session


def find_session(engine: sa.engine.Engine, token: str | None) -> StaffSession | None:
    if not token or len(token) > 128:
        return None
    with engine.connect() as conn:
        row = conn.execute(sa.select(staff_sessions).where(staff_sessions.c.token_hash == _hash(token))).first()
    if row is None or row.expires_at < time.time():
        return None
    user = get_user(engine, row.user_id)
    return StaffSession(user, row.csrf_token, row.expires_at) if user else None


def close_session(engine: sa.engine.Engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(staff_sessions.delete().where(staff_sessions.c.token_hash == _hash(token)))
