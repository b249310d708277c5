"""The gateway's public appointment routes against the real backend process: the .ics download,
the office feed passed through, and the cancellation page behind the e-mail link."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from bot.gateway.app import create_app
from bot.gateway.routes.appointments import BACKEND_DOWN, BAD_LINK, read_cancel_form
from bot.launcher.processes import Stack
from tests.bot.gateway.routes.staff.conftest import settings_for

CLOSED = "http://127.0.0.1:9"


def book(backend: str, email: str) -> dict[str, Any]:
    """A real booking through the backend's API (slots, hold, confirm)."""
    with httpx.Client(base_url=backend, timeout=30) as client:
        slots = client.get("/api/appointments/slots", params={"service": "reisepass", "limit": 1}).json()["slots"]
        slot = slots[0]
        hold = client.post(
            "/api/appointments/holds",
            json={"service": "reisepass", "office": slot["office"]["id"], "start": slot["start"], "client_key": email},
        )
        assert hold.status_code == 201, hold.text
        confirmed = client.post(
            f"/api/appointments/holds/{hold.json()['id']}/confirm",
            json={"name": "Erika Mustermann", "email": email},
            headers={"Idempotency-Key": f"gateway-test:{email}"},
        )
        assert confirmed.status_code == 201, confirmed.text
        booking: dict[str, Any] = confirmed.json()
        return booking


def cancel_link(stack: Stack, booking_id: int) -> str:
    """The cancellation link of the confirmation e-mail, read from the backend's outbox."""
    for database in Path(stack.env["BUERGERBOT_DATA_DIR"]).glob("*.db"):
        with sqlite3.connect(database) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "outbox" not in tables:
                continue
            for (body,) in conn.execute("SELECT body FROM outbox WHERE booking_id = ?", (booking_id,)):
                found = re.search(r"/termin/absagen\?\S+", body)
                if found:
                    return found.group(0)
    raise AssertionError("no cancellation link in the outbox")


@pytest.fixture
def gateway(tmp_path: Path, backend_stack: Stack) -> Iterator[TestClient]:
    app = create_app(settings_for(tmp_path, backend_url=backend_stack.backend_url))
    with TestClient(app) as client:
        yield client


def test_the_ics_file_of_a_booking_comes_through_the_gateway(gateway: TestClient, backend_stack: Stack):
    booking = book(backend_stack.backend_url, "ics.test@example.de")
    answer = gateway.get(booking["ics_url"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    assert "attachment" in answer.headers["content-disposition"]
    event = next(c for c in Calendar.from_ical(answer.content).walk("VEVENT"))
    assert str(event["DTSTART"].params.get("TZID")) == "Europe/Berlin"
    forged = gateway.get(re.sub(r"token=[^&]+", "token=forged", booking["ics_url"]))
    assert forged.status_code == 403 and forged.text == BAD_LINK


def test_the_cancellation_page_asks_first_and_then_cancels(gateway: TestClient, backend_stack: Stack):
    booking = book(backend_stack.backend_url, "absage.test@example.de")
    link = cancel_link(backend_stack, booking["id"])
    page = gateway.get(link)
    assert page.status_code == 200 and "wirklich absagen" in page.text and 'method="post"' in page.text
    assert "script" not in page.text and "form-action 'self'" in page.headers["content-security-policy"]
    with httpx.Client(base_url=backend_stack.backend_url) as backend:  # a GET changed nothing
        found = backend.post(
            "/api/appointments/find", json={"code": booking["code"], "email": "absage.test@example.de"}
        )
        assert found.json()["status"] == "booked"
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token is not None
    body = f"buchung={booking['id']}&token={token.group(1)}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    done = gateway.post("/termin/absagen", content=body, headers=headers)
    assert done.status_code == 200 and "ist abgesagt" in done.text and booking["label"] in done.text
    again = gateway.post("/termin/absagen", content=body, headers=headers)
    assert again.status_code >= 400 and "abgesagt" not in again.text.split("<h1>")[1][:20]


@pytest.mark.parametrize(
    "body",
    [b"", b"buchung=x&token=y", b"buchung=1", b"buchung=0&token=y", b"\xff\xfe", b"buchung=1&token=" + b"a" * 201],
)
def test_a_malformed_cancellation_form_is_refused(body: bytes):
    assert read_cancel_form(body) is None


def test_backend_down_gets_a_german_answer(tmp_path: Path):
    app = create_app(settings_for(tmp_path, backend_url=CLOSED))
    with TestClient(app) as client:
        ics = client.get("/api/appointments/bookings/1.ics?token=abc")
        assert ics.status_code == 503 and ics.text == BACKEND_DOWN
        page = client.post(
            "/termin/absagen",
            content="buchung=1&token=abc",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert page.status_code == 503 and "nicht erreichbar" in page.text
