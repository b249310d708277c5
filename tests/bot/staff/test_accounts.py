"""Staff accounts: Argon2id hashes, roles, lockout; console sessions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.staff.accounts import LOCK_SECONDS, MAX_FAILURES, add_user, authenticate
from bot.staff.auth_sessions import close_session, find_session, open_session
from bot.staff.errors import AccountLocked, Conflict, InvalidInput, LoginFailed
from bot.staff.tables import connect, staff_sessions, staff_users


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    engine = connect(f"sqlite:///{tmp_path / 'staff.db'}")
    yield engine
    engine.dispose()


def test_passwords_are_stored_as_argon2id_hashes(engine):
    add_user(engine, "anna", "ein langes Passwort", "reviewer")
    with engine.connect() as conn:
        stored = conn.execute(sa.select(staff_users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "langes" not in stored
    assert authenticate(engine, "anna", "ein langes Passwort").role == "reviewer"


@pytest.mark.parametrize(
    "name, password, role",
    [("x", "ein langes Passwort", "admin"), ("anna", "kurz", "admin"), ("anna", "ein langes Passwort", "root")],
)
def test_invalid_accounts_are_refused_in_german(engine, name, password, role):
    with pytest.raises(InvalidInput) as error:
        add_user(engine, name, password, role)
    assert error.value.status == 422 and error.value.text


def test_names_are_unique(engine):
    add_user(engine, "anna", "ein langes Passwort", "admin")
    with pytest.raises(Conflict):
        add_user(engine, "anna", "noch ein Passwort", "reviewer")


def test_unknown_name_and_wrong_password_fail_alike(engine):
    add_user(engine, "anna", "ein langes Passwort", "admin")
    with pytest.raises(LoginFailed) as unknown:
        authenticate(engine, "bert", "ein langes Passwort")
    with pytest.raises(LoginFailed) as wrong:
        authenticate(engine, "anna", "falsches Passwort")
    assert unknown.value.text == wrong.value.text


def test_account_is_locked_after_repeated_failures_then_unlocks(engine):
    add_user(engine, "anna", "ein langes Passwort", "admin")
    now = time.time()
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginFailed):
            authenticate(engine, "anna", "falsch", now=now)
    with pytest.raises(AccountLocked):
        authenticate(engine, "anna", "ein langes Passwort", now=now + 1)  # even the right password
    assert authenticate(engine, "anna", "ein langes Passwort", now=now + LOCK_SECONDS + 1).name == "anna"


def test_sessions_store_only_a_hash_and_end_on_logout(engine):
    user = add_user(engine, "anna", "ein langes Passwort", "admin")
    token, session = open_session(engine, user, hours=1)
    with engine.connect() as conn:
        assert conn.execute(sa.select(staff_sessions.c.token_hash)).scalar_one() != token
    found = find_session(engine, token)
    assert found is not None and found.user.name == "anna" and found.csrf_matches(session.csrf_token)
    assert not found.csrf_matches("") and not found.csrf_matches(None)
    close_session(engine, token)
    assert find_session(engine, token) is None and find_session(engine, "made-up") is None
