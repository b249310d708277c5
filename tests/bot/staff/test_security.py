"""Console security over real HTTP: login, CSRF, roles, cookies, redaction of what staff see."""

from __future__ import annotations

import random
import re
import string

import httpx
import pytest

from bot.gateway.routes.staff import PUBLIC_ROUTES, router
from bot.launcher.processes import Stack
from tests.conftest import API_HEADERS

from .conftest import PASSWORDS, login

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SAMPLE_PARAMS = {
    "event_id": "1",
    "job_id": "1",
    "name": "buergerbot-x.tar.gz",
    "handoff_id": "1",
    "request_id": "1",
    "answer_id": "1",
    "office_id": "buergeramt",
    "closure_id": "1",
    "booking_id": "1",
}


def staff_routes() -> list[tuple[str, str]]:
    found = []
    for route in router.routes:
        if not hasattr(route, "methods"):  # /staff/ws/live checks its session itself (tests/bot/gateway/handoff)
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS[m.group(1)], route.path)
        found += [(method, path) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_the_route_list_covers_the_console():
    paths = {path for _, path in staff_routes()}
    assert {"/staff", "/staff/api/messages", "/staff/api/retrain", "/staff/api/models/rollback"} <= paths
    assert len(staff_routes()) >= 24  # one route serves every console file since the split by concern


@pytest.mark.parametrize("method, path", [r for r in staff_routes() if r[1] not in PUBLIC_ROUTES])
def test_every_staff_route_refuses_without_login(console_stack: Stack, method: str, path: str):
    response = httpx.request(method, f"{console_stack.gateway_url}{path}", json={}, timeout=30, follow_redirects=False)
    if path == "/staff":
        assert response.status_code == 303 and response.headers["location"] == "/staff/login"
    else:
        assert response.status_code == 401, response.text
        assert response.json()["detail"] == "Bitte melden Sie sich an."


@pytest.mark.parametrize("path", [p for m, p in staff_routes() if m == "POST" and p not in PUBLIC_ROUTES])
def test_every_state_change_refuses_without_csrf_token(console_stack: Stack, admin: httpx.Client, path: str):
    response = admin.post(path, json={}, headers={"X-CSRF-Token": ""})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    forged = admin.post(path, json={}, headers={"X-CSRF-Token": "forged-token"})
    assert forged.status_code == 403


def test_login_needs_its_csrf_token_and_sets_a_strict_httponly_cookie(console_stack: Stack):
    with httpx.Client(base_url=console_stack.gateway_url, timeout=30) as client:
        refused = client.post("/staff/api/login", json={"name": "admin", "password": PASSWORDS["admin"]})
        assert refused.status_code == 403 and "bb_staff=" not in refused.headers.get("set-cookie", "")
        csrf = client.get("/staff/api/csrf").json()["csrf"]
        wrong = client.post(
            "/staff/api/login", json={"name": "admin", "password": "falsch-falsch"}, headers={"X-CSRF-Token": csrf}
        )
        assert wrong.status_code == 401 and "falsch" in wrong.json()["detail"]
        ok = client.post(
            "/staff/api/login", json={"name": "admin", "password": PASSWORDS["admin"]}, headers={"X-CSRF-Token": csrf}
        )
        assert ok.status_code == 200
        cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("bb_staff="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/staff" in cookie
        token = ok.json()["csrf"]
        assert client.post("/staff/api/logout", headers={"X-CSRF-Token": token}).status_code == 200
        assert client.get("/staff/api/me").status_code == 401  # the session is gone on the server too


def test_a_reviewer_can_review_but_cannot_promote_roll_back_or_read_the_audit_log(reviewer: httpx.Client):
    assert reviewer.get("/staff/api/messages").status_code == 200
    assert reviewer.post("/staff/api/models/buergerbot-x.tar.gz/promote", json={}).status_code == 403
    assert reviewer.post("/staff/api/models/rollback", json={}).status_code == 403
    assert reviewer.get("/staff/api/audit").status_code == 403


def test_staff_see_redacted_messages_and_pseudonyms_only(console_stack: Stack, admin: httpx.Client):
    marker = "".join(random.choices(string.ascii_lowercase, k=10))  # letters only: not an access code
    sender = f"secret-sender-{marker}"
    text = (
        f"Ich heiße Erika Mustermann ({marker}), mein Aktenzeichen ist BA-2025-004711 und der Code K7M2Q9, "
        "Telefon 0170 1234567, erika@example.org"
    )
    httpx.post(
        f"{console_stack.gateway_url}/api/chat",
        json={"sender": sender, "message": text},
        headers=API_HEADERS,
        timeout=30,
    )
    items = admin.get("/staff/api/messages", params={"q": marker}).json()["items"]
    assert len(items) == 1
    shown = str(items[0])
    for secret in ("Mustermann", "004711", "K7M2Q9", "1234567", "erika@example.org", sender):
        assert secret not in shown
    assert "[NAME]" in items[0]["text"] and "[AKTENZEICHEN]" in items[0]["text"]


def test_staff_pages_send_a_strict_content_security_policy(console_stack: Stack):
    page = httpx.get(f"{console_stack.gateway_url}/staff/login", timeout=30)
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_login_page_assets_are_public_but_the_console_script_is_not(console_stack: Stack):
    assert httpx.get(f"{console_stack.gateway_url}/staff/login.js", timeout=30).status_code == 200
    assert httpx.get(f"{console_stack.gateway_url}/staff/console.js", timeout=30).status_code == 401
    client = login(console_stack.gateway_url, "reviewer")
    try:
        assert client.get("/staff/console.js").status_code == 200
    finally:
        client.close()
