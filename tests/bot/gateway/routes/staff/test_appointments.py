"""/staff/api/appointments: the console's day and week views, closures and no-shows, against the real
backend app in process (httpx ASGI transport, a temporary SQLite, the demo catalogue, a fixed clock):
agents and admins only, CSRF on changes, audited, e-mail addresses for admins only, German errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.gateway.routes.staff import appointments as route
from bot.staff.accounts import add_user

from . import conftest
from .conftest import CLOSED, NO_CSRF, assert_csrf_refused, assert_not_logged_in, login

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=BERLIN)  # a Monday
TOKEN = "test-backend-token"
API = "/staff/api/appointments"
DAY = "2026-12-08"


@pytest.fixture
def clock() -> list[datetime]:
    return [NOW]


@pytest.fixture
def backend_app(tmp_path_factory: pytest.TempPathFactory, clock: list[datetime]) -> Iterator[TestClient]:
    from bot.backend.app import create_app
    from bot.backend.deps import get_now
    from bot.backend.settings import BackendSettings

    settings = BackendSettings(
        data_dir=Path(tmp_path_factory.mktemp("backend")), database_url="", backend_token=TOKEN, fixed_now=NOW
    )
    application = create_app(settings)
    application.dependency_overrides[get_now] = lambda: clock[0]
    with TestClient(application) as client:
        yield client


def in_process(backend_app: TestClient, token: str | None = TOKEN) -> route.AppointmentsBackend:
    return route.AppointmentsBackend("http://backend", token, httpx.ASGITransport(app=backend_app.app))


@pytest.fixture(autouse=True)
def wired(app: FastAPI, backend_app: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    app.dependency_overrides[route.appointments_backend] = lambda: in_process(backend_app)
    app.dependency_overrides[route.city_today] = lambda: date(2026, 12, 8)
    monkeypatch.setitem(conftest.PASSWORDS, "agent", "Agent-Passwort-2025")
    add_user(app.state.staff.staff, "agent", conftest.PASSWORDS["agent"], "agent")


@pytest.fixture
def agent(app: FastAPI) -> TestClient:
    return login(app, "agent")


def book(backend_app: TestClient, email: str = "erika.mustermann@example.de") -> dict[str, Any]:
    """A citizen books reisepass at buergeramt on DAY (the first free slot), as the dialogue does."""
    slots = backend_app.get(
        "/api/appointments/slots", params={"service": "reisepass", "office": "buergeramt", "from": DAY, "limit": 1}
    ).json()["slots"]
    hold = backend_app.post(
        "/api/appointments/holds",
        json={"service": "reisepass", "office": "buergeramt", "start": slots[0]["start"], "client_key": f"t:{email}"},
    )
    assert hold.status_code == 201, hold.text
    confirmed = backend_app.post(
        f"/api/appointments/holds/{hold.json()['id']}/confirm",
        json={"name": "Erika Mustermann", "email": email},
        headers={"Idempotency-Key": f"test-key-{email}-0123456789"},
    )
    assert confirmed.status_code == 201, confirmed.text
    booking: dict[str, Any] = confirmed.json()
    return booking


def latest_audit(admin: TestClient) -> dict[str, Any]:
    entry: dict[str, Any] = admin.get("/staff/api/audit?limit=1").json()[0]
    return entry


def test_offices_come_from_the_catalogue(agent: TestClient):
    response = agent.get(f"{API}/offices")
    assert response.status_code == 200, response.text
    offices = {o["id"]: o["name"] for o in response.json()}
    assert "buergeramt" in offices and set(response.json()[0]) == {"id", "name"}


def test_day_view_shows_the_booking_and_the_address_only_to_admins(
    agent: TestClient, admin: TestClient, backend_app: TestClient
):
    booking = book(backend_app)
    seen = agent.get(f"{API}/offices/buergeramt/bookings", params={"from": DAY, "to": DAY})
    assert seen.status_code == 200, seen.text
    [row] = seen.json()
    assert (row["id"], row["status"], row["service_name"], row["name"]) == (
        booking["id"],
        "booked",
        "Reisepass",
        "Erika Mustermann",
    )
    assert row["start"] == booking["start"] and row["email"] is None
    assert "created_at" not in row and "office_id" not in row
    [as_admin] = admin.get(f"{API}/offices/buergeramt/bookings", params={"from": DAY, "to": DAY}).json()
    assert as_admin["email"] == "erika.mustermann@example.de"
    week = agent.get(f"{API}/offices/buergeramt/bookings", params={"from": "2026-12-07", "to": "2026-12-13"}).json()
    assert [b["id"] for b in week] == [booking["id"]]
    assert (
        agent.get(f"{API}/offices/buergeramt/bookings", params={"from": "2026-12-09", "to": "2026-12-09"}).json() == []
    )


def test_a_view_longer_than_92_days_is_refused_in_german(agent: TestClient):
    response = agent.get(f"{API}/offices/buergeramt/bookings", params={"from": "2026-01-01", "to": "2026-12-31"})
    assert response.status_code == 422 and response.json()["detail"] == route.RANGE_TOO_LONG


def test_unknown_office_is_a_german_404(agent: TestClient):
    response = agent.get(f"{API}/offices/gibtsnicht/bookings")
    assert response.status_code == 404 and response.json()["detail"] == route.NOT_FOUND


def test_closure_added_listed_and_deleted_with_audit(agent: TestClient, admin: TestClient, backend_app: TestClient):
    booking = book(backend_app)
    added = agent.post(
        f"{API}/offices/buergeramt/closures",
        json={"start": f"{DAY}T07:00", "end": f"{DAY}T13:00", "reason": "Personalversammlung"},
    )
    assert added.status_code == 200, added.text
    closure = added.json()
    assert closure["reason"] == "Personalversammlung" and closure["affected_bookings"] == [booking["id"]]
    assert closure["start"] == f"{DAY}T07:00:00+01:00"
    entry = latest_audit(admin)
    assert (entry["actor"], entry["action"], entry["target"]) == ("agent", "appointment.closure_add", "buergeramt")
    assert entry["detail"]["affected_bookings"] == 1

    listed = agent.get(f"{API}/offices/buergeramt/closures", params={"from": DAY, "to": DAY}).json()
    assert [c["id"] for c in listed] == [closure["id"]]
    free = backend_app.get(
        "/api/appointments/slots", params={"service": "reisepass", "office": "buergeramt", "from": DAY}
    )
    assert not any(s["start"].startswith(DAY) for s in free.json()["slots"])  # that day is closed

    deleted = agent.delete(f"{API}/closures/{closure['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"ok": True}, deleted.text
    assert agent.get(f"{API}/offices/buergeramt/closures").json() == []
    entry = latest_audit(admin)
    assert (entry["action"], entry["target"]) == ("appointment.closure_delete", f"Schließung {closure['id']}")
    again = agent.delete(f"{API}/closures/{closure['id']}")
    assert again.status_code == 404 and again.json()["detail"] == route.NOT_FOUND


def test_closure_ending_before_it_starts_is_refused_in_german(agent: TestClient):
    response = agent.post(f"{API}/offices/buergeramt/closures", json={"start": f"{DAY}T12:00", "end": f"{DAY}T08:00"})
    assert response.status_code == 422 and response.json()["detail"] == route.END_BEFORE_START


def test_no_show_only_once_begun_and_audited_and_counted(
    agent: TestClient, admin: TestClient, reviewer: TestClient, backend_app: TestClient, clock: list[datetime]
):
    booking = book(backend_app)
    early = agent.post(f"{API}/bookings/{booking['id']}/no-show")
    assert early.status_code == 409 and early.json()["detail"] == route.NO_SHOW_REFUSED
    clock[0] = datetime.fromisoformat(booking["end"])
    marked = agent.post(f"{API}/bookings/{booking['id']}/no-show")
    assert marked.status_code == 200, marked.text
    assert marked.json()["status"] == "no_show" and marked.json()["email"] is None
    entry = latest_audit(admin)
    assert (entry["actor"], entry["action"], entry["target"]) == (
        "agent",
        "appointment.no_show",
        f"Termin {booking['id']}",
    )
    assert "Erika" not in str(entry)  # no citizen's name or address in the log
    [row] = agent.get(f"{API}/offices/buergeramt/bookings", params={"from": DAY, "to": DAY}).json()
    assert row["status"] == "no_show"

    counted = reviewer.get(f"{API}/no-shows", params={"days": 7})  # a count: every role's dashboard
    assert counted.status_code == 200, counted.text
    assert counted.json() == {
        "days": 7,
        "total": 1,
        "offices": [{"id": "buergeramt", "name": "Bürgeramt Mitte", "count": 1}],
    }
    assert admin.get(f"{API}/no-shows", params={"days": 200}).json()["total"] == 1  # more than one backend view
    assert agent.get(f"{API}/no-shows").json()["days"] == 30


def test_reviewers_may_not_see_or_change_appointments(reviewer: TestClient, backend_app: TestClient):
    booking = book(backend_app)
    for response in (
        reviewer.get(f"{API}/offices"),
        reviewer.get(f"{API}/offices/buergeramt/bookings"),
        reviewer.get(f"{API}/offices/buergeramt/closures"),
        reviewer.post(f"{API}/offices/buergeramt/closures", json={"start": f"{DAY}T08:00", "end": f"{DAY}T09:00"}),
        reviewer.delete(f"{API}/closures/1"),
        reviewer.post(f"{API}/bookings/{booking['id']}/no-show"),
    ):
        assert response.status_code == 403, response.text
        assert "Berechtigung" in response.json()["detail"]


def test_changes_need_the_csrf_token(admin: TestClient, backend_app: TestClient):
    booking = book(backend_app)
    body = {"start": f"{DAY}T08:00", "end": f"{DAY}T09:00"}
    assert_csrf_refused(admin.post(f"{API}/offices/buergeramt/closures", json=body, headers=NO_CSRF))
    assert_csrf_refused(admin.delete(f"{API}/closures/1", headers=NO_CSRF))
    assert_csrf_refused(admin.post(f"{API}/bookings/{booking['id']}/no-show", headers=NO_CSRF))
    assert admin.get(f"{API}/offices/buergeramt/closures").json() == []


def test_every_route_needs_a_login(anonymous: TestClient):
    assert_not_logged_in(anonymous.get(f"{API}/offices"))
    assert_not_logged_in(anonymous.get(f"{API}/offices/buergeramt/bookings"))
    assert_not_logged_in(anonymous.get(f"{API}/offices/buergeramt/closures"))
    assert_not_logged_in(anonymous.post(f"{API}/offices/buergeramt/closures", json={}))
    assert_not_logged_in(anonymous.delete(f"{API}/closures/1"))
    assert_not_logged_in(anonymous.post(f"{API}/bookings/1/no-show"))
    assert_not_logged_in(anonymous.get(f"{API}/no-shows"))


def test_backend_down_is_a_german_503(app: FastAPI, agent: TestClient):
    app.dependency_overrides[route.appointments_backend] = lambda: route.AppointmentsBackend(CLOSED, TOKEN)
    for response in (
        agent.get(f"{API}/offices"),
        agent.get(f"{API}/offices/buergeramt/bookings"),
        agent.post(f"{API}/offices/buergeramt/closures", json={"start": f"{DAY}T08:00", "end": f"{DAY}T09:00"}),
        agent.post(f"{API}/bookings/1/no-show"),
        agent.get(f"{API}/no-shows"),
    ):
        assert response.status_code == 503, response.text
        assert response.json()["detail"] == route.BACKEND_DOWN
        assert response.json()["detail"].startswith("Der Fachdienst ist nicht erreichbar")


def test_a_wrong_service_token_is_a_503_for_the_administration(
    app: FastAPI, agent: TestClient, backend_app: TestClient
):
    app.dependency_overrides[route.appointments_backend] = lambda: in_process(backend_app, token="falsch")
    response = agent.get(f"{API}/offices/buergeramt/bookings")
    assert response.status_code == 503 and response.json()["detail"] == route.BACKEND_REFUSED


def test_the_gateway_reads_the_service_token_from_its_settings(tmp_path: Path):
    (tmp_path / "own").mkdir()
    settings = conftest.settings_for(tmp_path / "own", backend_token="geheim")
    request = type("R", (), {"app": type("A", (), {"state": type("S", (), {"settings": settings})})})()
    backend = route.appointments_backend(request)  # type: ignore[arg-type]
    assert (backend.url, backend.token) == (CLOSED, "geheim")
    assert backend.client().headers["Authorization"] == "Bearer geheim"
