"""Staff accounts: Argon2id password hashes, roles, lockout after repeated failures."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import AccountLocked, Conflict, InvalidInput, LoginFailed
from .tables import staff_users

logger = logging.getLogger(__name__)

Role = Literal["reviewer", "admin"]
ROLES: tuple[Role, ...] = ("reviewer", "admin")
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
MIN_PASSWORD_CHARS = 10
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
_hasher = PasswordHasher()
# Verified against when the name is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not a real password")


@dataclass(frozen=True)
class StaffUser:
    id: int
    name: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


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


def authenticate(engine: sa.engine.Engine, name: str, password: str, now: float | None = None) -> StaffUser:
    now = now or time.time()
    with engine.begin() as conn:  # the failure count must be committed before the error is raised
        row = conn.execute(sa.select(staff_users).where(staff_users.c.name == name)).first()
        if row is None:
            _verify(_DUMMY_HASH, password)
            error: Exception | None = LoginFailed()
        elif row.locked_until and row.locked_until > now:
            error = AccountLocked(name, max(1, int((row.locked_until - now) // 60) + 1))
        elif not _verify(row.password_hash, password):
            failures = row.failed_logins + 1
            locked = now + LOCK_SECONDS if failures >= MAX_FAILURES else None
            conn.execute(
                staff_users.update()
                .where(staff_users.c.id == row.id)
                .values(failed_logins=0 if locked else failures, locked_until=locked)
            )
            logger.warning("failed staff login for %s (%d)", name, failures)
            error = LoginFailed()
        else:
            values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
            if _hasher.check_needs_rehash(row.password_hash):
                values["password_hash"] = _hasher.hash(password)
            conn.execute(staff_users.update().where(staff_users.c.id == row.id).values(**values))
            error = None
    if error is not None:
        raise error
    return StaffUser(row.id, row.name, row.role)


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
