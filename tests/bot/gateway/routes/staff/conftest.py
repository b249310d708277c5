"""The gateway in-process (TestClient) with Rasa unreachable, a staff admin and reviewer, a tracker
store with a few citizens' messages and a small copy of the training data."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.gateway.settings import GatewaySettings
from bot.staff import accounts
from bot.staff.accounts import add_user

CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port
PASSWORDS = {"admin": "Admin-Passwort-2025", "reviewer": "Pruefer-Passwort-2025"}
NOT_LOGGED_IN = "Bitte melden Sie sich an."

_tracker = sa.MetaData()
events = sa.Table(
    "events",
    _tracker,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def settings_for(tmp_path: Path, **overrides: object) -> GatewaySettings:
    nlu = tmp_path / "training" / "nlu"
    nlu.mkdir(parents=True)
    (nlu / "greet.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - Hallo\n')
    values: dict[str, object] = {
        "secret_key": "test-secret",
        "rasa_url": CLOSED,
        "actions_url": CLOSED,
        "backend_url": CLOSED,
        "telegram_bot_token": None,
        "data_dir": tmp_path,
        "training_data_dir": tmp_path / "training",
        "models_dir": tmp_path / "models",
        **overrides,
    }
    return GatewaySettings(**values)


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with the smallest cost: these tests are about HTTP, not hashing (tests/bot/staff/test_accounts.py)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(settings_for(tmp_path))
    engine = application.state.staff.staff
    for role, password in PASSWORDS.items():
        add_user(engine, role, password, role)
    with TestClient(application):  # runs the lifespan
        yield application


@pytest.fixture
def anonymous(app: FastAPI) -> TestClient:
    return TestClient(app)


def login(app: FastAPI, name: str) -> TestClient:
    """A client logged in as `name`, sending the session's CSRF token on every request."""
    client = TestClient(app)
    csrf = client.get("/staff/api/csrf").json()["csrf"]
    response = client.post(
        "/staff/api/login", json={"name": name, "password": PASSWORDS[name]}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf"]
    return client


@pytest.fixture
def admin(app: FastAPI) -> TestClient:
    return login(app, "admin")


@pytest.fixture
def reviewer(app: FastAPI) -> TestClient:
    return login(app, "reviewer")


NO_CSRF = {"X-CSRF-Token": ""}


def assert_not_logged_in(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["detail"] == NOT_LOGGED_IN


def assert_csrf_refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert "CSRF" in response.json()["detail"]


def assert_forbidden(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    assert "Berechtigung" in response.json()["detail"]


@pytest.fixture
def add_message(app: FastAPI) -> Callable[..., int]:
    """Store a citizen's message in the tracker store as Rasa would; returns its event id."""
    tracker = app.state.staff.tracker
    _tracker.create_all(tracker)

    def add(
        text: str,
        intent: str | None = "greet",
        confidence: float = 0.95,
        sender: str = "web:citizen-1",
        at: float | None = None,
        entities: list[dict[str, object]] | None = None,
    ) -> int:
        data = {
            "event": "user",
            "timestamp": at or time.time(),
            "text": text,
            "parse_data": {
                "intent": {"name": intent, "confidence": confidence},
                "entities": entities or [],
                "intent_ranking": [{"name": intent, "confidence": confidence}, {"name": "goodbye", "confidence": 0.01}],
            },
            "metadata": {"ref": f"ref-{text[:8].replace(' ', '-')}"},
        }
        with tracker.begin() as conn:
            return int(
                conn.execute(
                    events.insert().values(
                        sender_id=sender,
                        type_name="user",
                        timestamp=at or time.time(),
                        intent_name=intent,
                        data=json.dumps(data),
                    )
                ).inserted_primary_key[0]
            )

    return add
