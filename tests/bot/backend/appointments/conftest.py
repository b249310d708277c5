"""A backend with a test catalogue (a second Bürgeramt, one-counter offices for races) behind
FastAPI's TestClient, on a SQLite file or a fresh schema of the loopback PostgreSQL, with its
clock stopped where a test wants it."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from fastapi.testclient import TestClient

from bot.backend.app import create_app
from bot.backend.deps import get_now
from bot.backend.settings import BackendSettings
from bot.core.appointment_slots import BERLIN
from bot.infra.paths import DATA_DIR

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
TOKEN = "test-backend-token-0123456789abcdef"
STAFF = {"Authorization": f"Bearer {TOKEN}"}
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=BERLIN)  # a Monday, before the offices open

NORTH = {
    "id": "buergeramt_nord",
    "name": "Bürgeramt Nord",
    "street": "Nordring 5",
    "postal_code": "12347",
    "city": "Musterstadt",
    "phone": "+49 1234 567-110",
    "email": "buergeramt-nord@musterstadt.de",
    "opening_hours": {
        "mon": ["08:00-12:00"],
        "tue": ["08:00-12:00"],
        "wed": ["08:00-12:00"],
        "thu": ["08:00-12:00"],
        "fri": ["08:00-12:00"],
        "sat": [],
        "sun": [],
    },
    "accessibility": "Stufenloser Eingang.",
    "transport": "Bus 7, Haltestelle Nordring",
}
CALENDARS = {
    "offices": {"buergeramt": {"counters": 2}, "buergeramt_nord": {"counters": 1}, "standesamt": {"counters": 1}},
    "services": {
        "reisepass": {"minutes": 20},
        "personalausweis": {"also_at": ["buergeramt_nord"]},
        "eheschliessung": {"minutes": 30},
    },
}


def write_catalogue(target: Path, calendars: dict[str, Any] | None = None) -> Path:
    """data/catalogue with Bürgeramt Nord added and the test's appointments.yml."""
    shutil.copytree(DATA_DIR / "catalogue", target)
    offices = yaml.safe_load((target / "offices.yml").read_text(encoding="utf-8"))
    offices["offices"].append(NORTH)
    (target / "offices.yml").write_text(yaml.safe_dump(offices, allow_unicode=True), encoding="utf-8")
    (target / "appointments.yml").write_text(yaml.safe_dump(calendars or CALENDARS), encoding="utf-8")
    return target


@dataclass
class Backend:
    client: TestClient
    settings: BackendSettings
    now: list[datetime] = field(default_factory=lambda: [NOW])

    def at(self, moment: datetime) -> None:
        self.now[0] = moment

    def later(self, **delta: float) -> None:
        self.now[0] = self.now[0] + timedelta(**delta)

    @property
    def session_factory(self) -> Any:
        return self.client.app.state.session_factory

    # --- the API, as the dialogue uses it ---

    def slots(self, service: str, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get("/api/appointments/slots", params={"service": service, **params})
        assert response.status_code == 200, response.text
        return list(response.json()["slots"])

    def hold(self, service: str, office: str, start: str, client: str = "web:test") -> Any:
        return self.client.post(
            "/api/appointments/holds", json={"service": service, "office": office, "start": start, "client_key": client}
        )

    def confirm(
        self, hold_id: str, email: str = "erika@example.de", key: str | None = None, name: str = "Erika Mustermann"
    ) -> Any:
        return self.client.post(
            f"/api/appointments/holds/{hold_id}/confirm",
            json={"name": name, "email": email},
            headers={"Idempotency-Key": key or f"key-{uuid.uuid4().hex}"},
        )

    def book(
        self, service: str = "reisepass", email: str = "erika@example.de", client: str = "web:test", index: int = 0
    ) -> dict[str, Any]:
        slot = self.slots(service, limit=index + 1)[index]
        held = self.hold(service, slot["office"]["id"], slot["start"], client)
        assert held.status_code == 201, held.text
        confirmed = self.confirm(held.json()["id"], email)
        assert confirmed.status_code == 201, confirmed.text
        return dict(confirmed.json())


def _settings(tmp_path: Path, database_url: str = "", **overrides: Any) -> BackendSettings:
    catalogue = write_catalogue(tmp_path / "catalogue")
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "catalogue_dir": catalogue,
        "backend_token": TOKEN,
        "appointment_secret": "test-appointment-secret",
    }
    return BackendSettings(**(values | overrides))


def _running(settings: BackendSettings) -> Iterator[Backend]:
    app = create_app(settings)
    backend_now = [NOW]
    app.dependency_overrides[get_now] = lambda: backend_now[0]
    with TestClient(app) as client:
        yield Backend(client, settings, backend_now)


@contextmanager
def _postgres_schema() -> Iterator[str]:
    schema = f"appointments_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required: {exc}")
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    """On a SQLite file."""
    yield from _running(_settings(tmp_path))


@pytest.fixture(params=["sqlite", "postgresql"])
def any_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """On a SQLite file, then on PostgreSQL."""
    if request.param == "sqlite":
        yield from _running(_settings(tmp_path))
        return
    with _postgres_schema() as url:
        yield from _running(_settings(tmp_path, url))


@pytest.fixture
def make_backend(tmp_path: Path) -> Iterator[Any]:
    """A SQLite backend with other settings: make_backend(federal_state="BE")."""
    started: list[Iterator[Backend]] = []

    def make(**overrides: Any) -> Backend:
        running = _running(_settings(tmp_path / uuid.uuid4().hex[:6], **overrides))
        started.append(running)
        return next(running)

    yield make
    for running in started:
        next(running, None)
