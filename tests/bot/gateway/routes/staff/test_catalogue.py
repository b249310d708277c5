"""POST /staff/api/catalogue/reload: admins only, CSRF, audited; the backend's answers (summary,
problems, down) reach staff as German JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.gateway.routes.staff import catalogue as route

from .conftest import NO_CSRF, assert_csrf_refused, assert_forbidden, assert_not_logged_in

URL = "/staff/api/catalogue/reload"
SUMMARY = {"offices": 16, "services": 153, "life_events": 23, "added": ["neu"], "removed": []}


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Callable[[int, dict[str, Any]], list[httpx.Request]]:
    """Answer the gateway's call to the backend with a scripted response; returns the calls made."""

    def script(status: int, body: dict[str, Any]) -> list[httpx.Request]:
        calls: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            calls.append(request)
            return httpx.Response(status, json=body)

        real = httpx.AsyncClient
        monkeypatch.setattr(route.httpx, "AsyncClient", lambda **kw: real(transport=httpx.MockTransport(handler), **kw))
        return calls

    return script


def test_admin_reloads_and_it_is_audited(admin: TestClient, backend):
    calls = backend(200, SUMMARY)
    response = admin.post(URL)
    assert response.status_code == 200, response.text
    assert response.json() == SUMMARY
    assert [str(c.url) for c in calls] == ["http://127.0.0.1:9/api/catalogue/reload"]  # settings.backend_url
    latest = admin.get("/staff/api/audit?limit=1").json()[0]
    assert (latest["actor"], latest["action"], latest["detail"]["services"]) == ("admin", "catalogue.reload", 153)


def test_problems_of_a_bad_catalogue_are_passed_on(admin: TestClient, backend):
    backend(422, {"detail": "Der Katalog enthält Fehler.", "problems": ["services/a.yml: Leistung 'x': 'name' fehlt"]})
    response = admin.post(URL)
    assert response.status_code == 422
    assert response.json()["problems"] == ["services/a.yml: Leistung 'x': 'name' fehlt"]
    assert admin.get("/staff/api/audit?limit=1").json()[0]["action"] == "catalogue.reload_refused"


def test_backend_down_is_a_friendly_503(admin: TestClient):
    response = admin.post(URL)  # nothing listens on the backend URL of these tests
    assert response.status_code == 503
    assert response.json()["detail"] == route.BACKEND_DOWN


def test_backend_error_is_a_friendly_503(admin: TestClient, backend):
    backend(500, {"detail": "Internal Server Error"})
    response = admin.post(URL)
    assert response.status_code == 503 and "später erneut" in response.json()["detail"]


def test_reviewers_may_not_reload(reviewer: TestClient, backend):
    calls = backend(200, SUMMARY)
    assert_forbidden(reviewer.post(URL))
    assert calls == []


def test_reload_needs_the_csrf_token_and_a_session(admin: TestClient, anonymous: TestClient, backend):
    calls = backend(200, SUMMARY)
    assert_csrf_refused(admin.post(URL, headers=NO_CSRF))
    assert_not_logged_in(anonymous.post(URL))
    assert calls == []
