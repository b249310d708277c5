"""schemathesis against the gateway's OpenAPI schema, in process (ASGI), Rasa a fake (`tests.fakes.rasa`),
the backend and the action server unreachable: a bounded number of generated requests per operation,
none answered with a 5xx (a 503 the operation documents, such as "backend unreachable", is an answer).

The public operations run with and without an API key; the staff console's operations run signed
out (all must refuse, none may fail) and signed in as an admin with the session's CSRF token."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings

from bot.gateway.api_keys import digest
from bot.gateway.app import create_app
from bot.gateway.routes.staff.deps import CSRF_HEADER, SESSION_COOKIE
from bot.staff import accounts
from tests.bot.gateway.routes.staff.conftest import settings_for
from tests.fakes.rasa import FakeRasa
from tests.fuzz import no_server_error

API_KEY = "integrator-key-0123456789"
ADMIN_PASSWORD = "Admin-Passwort-2025"
EXAMPLES = settings(max_examples=25, deadline=None)


@pytest.fixture
def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    """A fresh gateway per test: schemathesis ends the app's lifespan after each test."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    settings = settings_for(
        tmp_path,
        api_keys=digest(API_KEY),
        # every generated request comes from the same test client: the limits are tested on their own
        rate_limit_per_minute=100_000,
        api_rate_limit_per_minute=100_000,
        sessions_per_minute=100_000,
        login_attempts_per_client=100_000,
    )
    app = create_app(settings, rasa_transport=FakeRasa().transport)
    accounts.add_user(app.state.staff.staff, "admin", ADMIN_PASSWORD, "admin")
    return app


@pytest.fixture
def gateway_schema(gateway: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", gateway)


@pytest.fixture
def admin_session(gateway: FastAPI) -> tuple[dict[str, str], dict[str, str]]:
    """Cookies and headers of a signed-in admin."""
    client = TestClient(gateway)
    csrf = client.get("/staff/api/csrf").json()["csrf"]
    response = client.post(
        "/staff/api/login", json={"name": "admin", "password": ADMIN_PASSWORD}, headers={CSRF_HEADER: csrf}
    )
    assert response.status_code == 200, response.text
    return {SESSION_COOKIE: response.cookies[SESSION_COOKIE]}, {CSRF_HEADER: response.json()["csrf"]}


schema = schemathesis.pytest.from_fixture("gateway_schema")
public = schema.exclude(path_regex="^/staff/")
staff = schema.include(path_regex="^/staff/")


@public.parametrize()
@EXAMPLES
def test_public_operations_never_answer_a_server_error(case):
    case.call_and_validate(checks=[no_server_error])


@public.include(path="/api/chat").parametrize()
@EXAMPLES
def test_the_chat_api_with_a_valid_key_never_answers_a_server_error(case):
    case.call_and_validate(headers={"X-API-Key": API_KEY}, checks=[no_server_error])


@staff.parametrize()
@EXAMPLES
def test_signed_out_staff_operations_never_answer_a_server_error(case):
    case.call_and_validate(checks=[no_server_error])


# Retraining starts `rasa train` in a subprocess, and logging out would end the session the other
# examples use: both are covered signed out above and by tests/bot/gateway/routes/staff/.
@staff.exclude(path=["/staff/api/retrain", "/staff/api/logout"]).parametrize()
@EXAMPLES
def test_signed_in_staff_operations_never_answer_a_server_error(case, admin_session):
    cookies, headers = admin_session
    case.call_and_validate(cookies=cookies, headers=headers, checks=[no_server_error])
