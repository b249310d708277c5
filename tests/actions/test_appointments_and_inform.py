"""The routing of bare values, with an in-memory backend."""

import pytest

from actions.inform import ActionHandleInform
from tests.actions.conftest import run_action
from tests.actions.fakes import FakeBackend

pytestmark = pytest.mark.anyio


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
