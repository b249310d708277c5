"""Login (double-submit CSRF cookie), logout and the signed-in user."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

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
