"""Staff accounts: Argon2id hashes, roles, lockout; console sessions."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from bot.staff import accounts
from bot.staff.accounts import LOCK_SECONDS, MAX_FAILURES, WINDOW_SECONDS, add_user, authenticate
from bot.staff.audit import entries
from bot.staff.auth_sessions import close_session, find_session, open_session
from bot.staff.errors import AccountLocked, Conflict, InvalidInput, LoginFailed
from bot.staff.login_throttle import InProcessThrottle
from bot.staff.tables import connect, staff_sessions, staff_users

PASSWORD = "ein langes Passwort"


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


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at the smallest cost: these tests are about counting, not hashing."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def _attempt(engine: sa.engine.Engine, name: str, password: str, now: float) -> str:
    try:
        authenticate(engine, name, password, now=now)
    except LoginFailed:
        return "failed"
    except AccountLocked:
        return "locked"
    return "ok"


def test_parallel_wrong_logins_lock_after_exactly_five(engine, cheap_hashes):
    add_user(engine, "anna", PASSWORD, "admin")
    now = time.time()
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda i: _attempt(engine, "anna", f"falsch-{i}", now), range(30)))
    assert results.count("failed") == MAX_FAILURES and results.count("locked") == 30 - MAX_FAILURES
    assert _attempt(engine, "anna", PASSWORD, now + 1) == "locked"  # the right password too
    actions = [e["action"] for e in entries(engine, limit=100)]
    assert actions.count("login_failed") == 31 and actions.count("login_locked") == 1


def test_unknown_and_locked_names_get_the_same_answer(engine, cheap_hashes):
    add_user(engine, "anna", PASSWORD, "admin")
    now = time.time()
    answers: dict[str, list[tuple[type[Exception], str]]] = {}
    for name in ("anna", "niemand"):
        answers[name] = []
        for _ in range(MAX_FAILURES + 2):
            with pytest.raises((LoginFailed, AccountLocked)) as error:
                authenticate(engine, name, "falsch", now=now)
            answers[name].append((type(error.value), error.value.text))
    assert answers["anna"] == answers["niemand"]
    assert [kind for kind, _ in answers["anna"]] == [LoginFailed] * MAX_FAILURES + [AccountLocked] * 2
    audited = {(e["actor"], e["action"]) for e in entries(engine)}
    assert {("niemand", "login_locked"), ("anna", "login_locked"), ("niemand", "login_failed")} <= audited
    assert not any(PASSWORD in str(e) or "falsch" in str(e) for e in entries(engine))


def test_failures_older_than_the_window_stop_counting(engine, cheap_hashes):
    add_user(engine, "anna", PASSWORD, "admin")
    now = time.time()
    for _ in range(MAX_FAILURES - 1):
        assert _attempt(engine, "anna", "falsch", now) == "failed"
    # A new window: the old failures no longer count, five more are allowed before the lock.
    later = now + WINDOW_SECONDS + 1
    assert [_attempt(engine, "anna", "falsch", later) for _ in range(MAX_FAILURES + 1)] == ["failed"] * 5 + ["locked"]


def test_a_successful_login_clears_the_count(engine, cheap_hashes):
    add_user(engine, "anna", PASSWORD, "admin")
    now = time.time()
    for _ in range(MAX_FAILURES - 1):
        assert _attempt(engine, "anna", "falsch", now) == "failed"
    assert _attempt(engine, "anna", PASSWORD, now) == "ok"
    assert [_attempt(engine, "anna", "falsch", now) for _ in range(MAX_FAILURES)] == ["failed"] * MAX_FAILURES


def test_throttled_clients_are_refused_before_any_password_work(engine, cheap_hashes, monkeypatch):
    add_user(engine, "anna", PASSWORD, "admin")
    verified: list[str] = []
    real_verify = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: verified.append(p) or real_verify(h, p))
    throttle = InProcessThrottle(max_attempts=3, window=60)
    now = time.time()
    for name in ("anna", "bert", "carla"):
        with pytest.raises(LoginFailed):
            authenticate(engine, name, "falsch", now=now, client="10.0.0.1", throttle=throttle)
    with pytest.raises(AccountLocked) as refused:
        authenticate(engine, "anna", PASSWORD, now=now, client="10.0.0.1", throttle=throttle)
    assert len(verified) == 3 and refused.value.status == 429
    # Another client is not affected, and the throttled attempt was not counted for "anna".
    assert authenticate(engine, "anna", PASSWORD, now=now, client="10.0.0.2", throttle=throttle).name == "anna"
