"""Login (double-submit CSRF cookie), logout and the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.gateway.routes.staff.deps import login_throttle
from bot.staff import accounts
from bot.staff.accounts import MAX_FAILURES
from bot.staff.login_throttle import InProcessThrottle
from bot.staff.tables import audit_log

from .conftest import NO_CSRF, PASSWORDS, assert_csrf_refused, assert_not_logged_in, login


def test_csrf_token_comes_with_a_strict_cookie(anonymous: TestClient):
    response = anonymous.get("/staff/api/csrf")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    token = response.json()["csrf"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"bb_staff_login={token}") and "HttpOnly" in cookie and "Path=/staff" in cookie


def test_login_sets_the_session_and_answers_who_is_signed_in(anonymous: TestClient):
    csrf = anonymous.get("/staff/api/csrf").json()["csrf"]
    response = anonymous.post(
        "/staff/api/login", json={"name": "admin", "password": PASSWORDS["admin"]}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"name", "role", "csrf"} and (body["name"], body["role"]) == ("admin", "admin")
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("bb_staff="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/staff" in session
    assert any(c.startswith("bb_staff_login=") and "Max-Age=0" in c for c in cookies)  # used up
    me = anonymous.get("/staff/api/me").json()
    assert me == {"name": "admin", "role": "admin", "csrf": body["csrf"]}


def test_login_without_its_csrf_token_is_refused(anonymous: TestClient):
    refused = anonymous.post("/staff/api/login", json={"name": "admin", "password": PASSWORDS["admin"]})
    assert refused.status_code == 403 and refused.json()["detail"].startswith("Die Anmeldung wurde abgelehnt")
    anonymous.get("/staff/api/csrf")
    forged = anonymous.post(
        "/staff/api/login", json={"name": "admin", "password": PASSWORDS["admin"]}, headers={"X-CSRF-Token": "x"}
    )
    assert forged.status_code == 403


def test_wrong_password_is_401_in_german(anonymous: TestClient):
    csrf = anonymous.get("/staff/api/csrf").json()["csrf"]
    wrong = anonymous.post(
        "/staff/api/login", json={"name": "admin", "password": "falsch-falsch"}, headers={"X-CSRF-Token": csrf}
    )
    assert wrong.status_code == 401 and "falsch" in wrong.json()["detail"] and wrong.json()["code"] == "error"


def test_login_body_is_validated(anonymous: TestClient):
    csrf = anonymous.get("/staff/api/csrf").json()["csrf"]
    response = anonymous.post("/staff/api/login", json={"name": "admin"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 422 and "password" in response.json()["detail"]


def test_me_needs_a_session(anonymous: TestClient):
    assert_not_logged_in(anonymous.get("/staff/api/me"))


def test_logout_ends_the_session_on_the_server(app: FastAPI):
    client = login(app, "reviewer")
    response = client.post("/staff/api/logout")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert any(c.startswith("bb_staff=") for c in response.headers.get_list("set-cookie"))
    assert_not_logged_in(client.get("/staff/api/me"))


def test_logout_needs_a_session_and_the_csrf_token(anonymous: TestClient, reviewer: TestClient):
    assert_not_logged_in(anonymous.post("/staff/api/logout"))
    assert_csrf_refused(reviewer.post("/staff/api/logout", headers=NO_CSRF))
    assert reviewer.get("/staff/api/me").status_code == 200  # still signed in


def _login_attempt(client: TestClient, name: str, password: str) -> httpx.Response:
    csrf = client.get("/staff/api/csrf").json()["csrf"]
    return client.post("/staff/api/login", json={"name": name, "password": password}, headers={"X-CSRF-Token": csrf})


@pytest.fixture
def unthrottled(app: FastAPI) -> Iterator[None]:
    """A per-client limit high enough that only the per-name count decides."""
    app.dependency_overrides[login_throttle] = lambda: InProcessThrottle(max_attempts=1000)
    yield
    app.dependency_overrides.pop(login_throttle)


def test_thirty_parallel_wrong_logins_lock_after_exactly_five(app: FastAPI, unthrottled: None):
    def attempt(i: int) -> int:
        return _login_attempt(TestClient(app), "admin", f"falsch-{i}").status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(attempt, range(30)))
    assert statuses.count(401) == MAX_FAILURES and statuses.count(429) == 30 - MAX_FAILURES
    right = _login_attempt(TestClient(app), "admin", PASSWORDS["admin"])
    assert right.status_code == 429 and "Zu viele Fehlversuche" in right.json()["detail"]
    with app.state.staff.staff.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.target)).all()
    assert sum(1 for r in rows if r.action == "login_failed" and r.actor == "admin") == 31
    assert [r.target for r in rows if r.action == "login_locked"] == ["testclient"]


def test_unknown_and_locked_names_answer_alike(app: FastAPI, unthrottled: None):
    client = TestClient(app)
    known = [_login_attempt(client, "reviewer", "falsch-falsch") for _ in range(MAX_FAILURES + 1)]
    unknown = [_login_attempt(client, "gibt-es-nicht", "falsch-falsch") for _ in range(MAX_FAILURES + 1)]
    assert [(r.status_code, r.json()) for r in known] == [(r.status_code, r.json()) for r in unknown]
    assert known[-1].status_code == 429 and known[0].status_code == 401


def test_one_client_is_throttled_before_any_password_is_checked(app: FastAPI, monkeypatch: pytest.MonkeyPatch):
    app.dependency_overrides[login_throttle] = lambda: throttle
    throttle = InProcessThrottle(max_attempts=3, window=300)
    verified: list[str] = []
    real_verify = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: verified.append(p) or real_verify(h, p))
    client = TestClient(app)
    statuses = [_login_attempt(client, f"name-{i}", "falsch-falsch").status_code for i in range(5)]
    app.dependency_overrides.pop(login_throttle)
    assert statuses == [401, 401, 401, 429, 429] and len(verified) == 3
