"""Appointment info and the routing of bare values, with an in-memory backend."""

import pytest

from actions.appointments import ActionAppointmentInfo
from actions.inform import ActionHandleInform
from tests.actions.conftest import run_action
from tests.actions.fakes import FakeBackend

pytestmark = pytest.mark.anyio


async def test_appointment_for_a_service_says_whether_one_is_needed(make_tracker, domain):
    messages, slots = await run_action(
        ActionAppointmentInfo(backend=FakeBackend()),
        make_tracker("Termin für Reisepass", "book_appointment", {"service": "reisepass"}),
        domain,
    )
    assert messages[0]["text"].startswith("Reisepass: Dafür brauchen Sie einen Termin (Bürgeramt Mitte).")
    assert slots == {"service": "reisepass"}


async def test_appointment_without_backend_still_gives_the_booking_link(make_tracker, domain):
    messages, slots = await run_action(
        ActionAppointmentInfo(backend=FakeBackend(unavailable=True)),
        make_tracker("Termin für Reisepass", "book_appointment", {"service": "reisepass"}),
        domain,
    )
    assert "musterstadt.de/termine" in messages[0]["text"] and slots == {}


async def test_cancel_needs_no_backend(make_tracker, domain):
    backend = FakeBackend()
    messages, _ = await run_action(
        ActionAppointmentInfo(backend=backend), make_tracker("Termin absagen", "cancel_appointment"), domain
    )
    assert "Terminbestätigung" in messages[0]["text"] and backend.calls == []


async def test_bare_office_answers_the_pending_question(make_tracker, domain):
    tracker = make_tracker(
        "Standesamt", "inform", {"office": "standesamt"}, slots={"pending_intent": "ask_office_location"}
    )
    messages, slots = await run_action(ActionHandleInform(backend=FakeBackend()), tracker, domain)
    assert messages[0]["text"].startswith("Standesamt Musterstadt\nRathausplatz 1")
    assert slots == {"office": "standesamt", "pending_intent": None}


async def test_bare_service_answers_the_pending_question(make_tracker, domain):
    tracker = make_tracker("Reisepass", "inform", {"service": "reisepass"}, slots={"pending_intent": "ask_fees"})
    messages, slots = await run_action(ActionHandleInform(backend=FakeBackend()), tracker, domain)
    assert messages[0]["text"].startswith("Gebühr für Reisepass:") and slots["service"] == "reisepass"


async def test_bare_case_number_starts_the_form(make_tracker, domain):
    tracker = make_tracker("BA-2025-004711", "inform", {"case_number": "BA-2025-004711"})
    dispatcher_messages, _ = await run_action(ActionHandleInform(backend=FakeBackend()), tracker, domain)
    assert dispatcher_messages == []
