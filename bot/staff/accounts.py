"""Staff accounts: Argon2id password hashes, roles, login attempts counted per name and throttled per client."""

from __future__ import annotations

import functools
import logging
import math
import re
import time
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import audit
from .errors import AccountLocked, Conflict, InvalidInput, LoginFailed
from .login_throttle import LoginThrottle
from .tables import login_failures, staff_users

logger = logging.getLogger(__name__)

# reviewer: the inbox and training; agent: answers citizens in live chat; admin: everything.
Role = Literal["reviewer", "agent", "admin"]
ROLES: tuple[Role, ...] = ("reviewer", "agent", "admin")
MAX_FAILURES = 5  # attempts per name and window; the next ones are refused until the window ends
WINDOW_SECONDS = 15 * 60
LOCK_SECONDS = WINDOW_SECONDS  # a locked name opens again when its window runs out
MIN_PASSWORD_CHARS = 10
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
_hasher = PasswordHasher()


@functools.lru_cache(maxsize=2)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified against when the name is unknown, so timing does not reveal which names exist
    (computed on first use, with the hasher's current cost)."""
    return str(hasher.hash("not a real password"))


@dataclass(frozen=True)
class StaffUser:
    id: int
    name: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_answer(self) -> bool:
        """May take and answer citizens' conversations (live chat, callbacks)."""
        return self.role in ("agent", "admin")


def add_user(engine: sa.engine.Engine, name: str, password: str, role: str) -> StaffUser:
    if not _NAME.match(name):
        raise InvalidInput(f"Ungültiger Name {name!r}: 2–64 Zeichen, Buchstaben, Ziffern, . _ @ -")
    if role not in ROLES:
        raise InvalidInput(f"Unbekannte Rolle {role!r}: erlaubt sind {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"Das Passwort muss mindestens {MIN_PASSWORD_CHARS} Zeichen lang sein.")
    with engine.begin() as conn:
        if conn.execute(sa.select(staff_users.c.id).where(staff_users.c.name == name)).first():
            raise Conflict(f"Ein Konto {name!r} gibt es schon.")
        user_id = conn.execute(
            staff_users.insert().values(
                name=name, password_hash=_hasher.hash(password), role=role, failed_logins=0, created_at=time.time()
            )
        ).inserted_primary_key[0]
    logger.info("staff account %s created with role %s", name, role)
    return StaffUser(user_id, name, role)


def authenticate(
    engine: sa.engine.Engine,
    name: str,
    password: str,
    now: float | None = None,
    *,
    client: str = "",
    throttle: LoginThrottle | None = None,
) -> StaffUser:
    """The user when name and password match, else LoginFailed or AccountLocked.

    Order matters: the client's throttle, then the attempt is counted for the name (atomically,
    committed) and only then is the password verified. Unknown names are counted and locked
    like known ones, so the answers do not reveal which names exist. Failures and locks are
    written to the audit log (never the password)."""
    now = time.time() if now is None else now
    key = name[:64]
    if throttle is not None and (wait := throttle.allow(client, now)) is not None:
        logger.warning("staff login throttled for client %s", client)
        raise AccountLocked(key, _minutes(wait))
    attempts, window_start = count_attempt(engine, key, now)
    if attempts > MAX_FAILURES:
        _audit_failure(engine, key, client, attempts, "locked")
        raise AccountLocked(key, _minutes(window_start + WINDOW_SECONDS - now))
    with engine.connect() as conn:
        row = conn.execute(sa.select(staff_users).where(staff_users.c.name == key)).first()
    if row is None or not _verify(row.password_hash, password):
        if row is None:
            _verify(_dummy_hash(_hasher), password)  # the same work as for a known name
        _audit_failure(engine, key, client, attempts, "wrong")
        raise LoginFailed()
    with engine.begin() as conn:
        conn.execute(login_failures.delete().where(login_failures.c.name == key))
        if _hasher.check_needs_rehash(row.password_hash):
            conn.execute(
                staff_users.update().where(staff_users.c.id == row.id).values(password_hash=_hasher.hash(password))
            )
    return StaffUser(row.id, row.name, row.role)


def count_attempt(engine: sa.engine.Engine, name: str, now: float) -> tuple[int, float]:
    """Count one login attempt for `name` in one atomic statement; returns (attempts in the
    current window, start of that window). A window starts with the first attempt after the
    previous one ran out; attempts older than the window no longer count."""
    expired = now - WINDOW_SECONDS
    with engine.begin() as conn:
        conn.execute(login_failures.delete().where(login_failures.c.window_start <= expired))
        row = conn.execute(_COUNT_ATTEMPT, {"name": name, "now": now, "expired": expired}).one()
    return int(row.attempts), float(row.window_start)


# One statement, so parallel attempts cannot read the same count (SQLite >= 3.35 and
# PostgreSQL; SQLAlchemy 1.4's SQLite compiler has no RETURNING, hence plain SQL).
_COUNT_ATTEMPT = sa.text(
    "INSERT INTO login_failures (name, attempts, window_start) VALUES (:name, 1, :now) "
    "ON CONFLICT (name) DO UPDATE SET "
    "attempts = CASE WHEN login_failures.window_start <= :expired THEN 1 ELSE login_failures.attempts + 1 END, "
    "window_start = CASE WHEN login_failures.window_start <= :expired THEN :now ELSE login_failures.window_start END "
    "RETURNING attempts, window_start"
)


def _audit_failure(engine: sa.engine.Engine, name: str, client: str, attempts: int, reason: str) -> None:
    logger.warning("failed staff login for %s (attempt %d, %s)", name, attempts, reason)
    with engine.begin() as conn:
        audit.record(conn, name, "login_failed", client, {"reason": reason, "attempt": attempts})
        if reason == "wrong" and attempts == MAX_FAILURES:
            audit.record(conn, name, "login_locked", client, {"minutes": WINDOW_SECONDS // 60})


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def get_user(engine: sa.engine.Engine, user_id: int) -> StaffUser | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(staff_users).where(staff_users.c.id == user_id)).first()
    return StaffUser(row.id, row.name, row.role) if row else None


def list_users(engine: sa.engine.Engine) -> list[StaffUser]:
    with engine.connect() as conn:
        return [
            StaffUser(r.id, r.name, r.role) for r in conn.execute(sa.select(staff_users).order_by(staff_users.c.name))
        ]


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
