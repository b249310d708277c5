"""A whole stack for the staff console (its own databases and training-data copy) and logins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.infra.paths import MODELS_DIR
from bot.launcher.processes import Stack, free_ports
from bot.staff.accounts import add_user
from bot.staff.tables import connect
from bot.training.model import model_path, train, training_data
from tests.conftest import FAST_CONFIG, running, stack_env

PASSWORDS = {"admin": "Admin-Passwort-2025", "reviewer": "Pruefer-Passwort-2025"}


@pytest.fixture(scope="session")
def console_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Backend, actions, Rasa and gateway with a staff admin ("admin") and reviewer ("reviewer").

    Live and candidate models use the fast test configuration (no DIET), so that promotion
    compares like with like; the live model is cached under models/tests/ by fingerprint."""
    tmp = tmp_path_factory.mktemp("console")
    env = stack_env(tmp)
    live = model_path(FAST_CONFIG, MODELS_DIR / "tests", data=training_data(Path(env["BUERGERBOT_TRAINING_DATA_DIR"])))
    if not live.exists():
        train(FAST_CONFIG, live, quiet=True, data=training_data(Path(env["BUERGERBOT_TRAINING_DATA_DIR"])))
    engine = connect(f"sqlite:///{tmp / 'staff.db'}")
    for role, password in PASSWORDS.items():
        add_user(engine, role, password, role)
    engine.dispose()
    with running(Stack(free_ports(), model=live, env=env, log_dir=tmp / "logs")) as stack:
        yield stack


def login(base_url: str, name: str, password: str | None = None) -> httpx.Client:
    """An HTTP client logged in to the console, sending the session's CSRF token on every request."""
    client = httpx.Client(base_url=base_url, timeout=30)
    csrf = client.get("/staff/api/csrf").json()["csrf"]
    response = client.post(
        "/staff/api/login", json={"name": name, "password": password or PASSWORDS[name]}, headers={"X-CSRF-Token": csrf}
    )
    response.raise_for_status()
    client.headers["X-CSRF-Token"] = response.json()["csrf"]
    return client


@pytest.fixture
def admin(console_stack: Stack) -> Iterator[httpx.Client]:
    client = login(console_stack.gateway_url, "admin")
    yield client
    client.close()


@pytest.fixture
def reviewer(console_stack: Stack) -> Iterator[httpx.Client]:
    client = login(console_stack.gateway_url, "reviewer")
    yield client
    client.close()
