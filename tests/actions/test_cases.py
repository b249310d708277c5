"""The case status form with an in-memory backend: verification, wrong codes, lockout, backend down."""

from __future__ import annotations

import time

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.cases import ActionCaseStatusDone, ValidateCaseStatusForm
from tests.actions.conftest import slot_events
from tests.actions.fakes import CASE_004711, FakeBackend

pytestmark = pytest.mark.anyio


def demo_backend(**kwargs) -> FakeBackend:
    return FakeBackend(cases={("BA-2025-004711", "K7M2Q9"): CASE_004711}, **kwargs)


async def submit_code(make_tracker, domain, case_number: str, code: str, backend=None, **slots):
    tracker = make_tracker(
        code,
        "inform",
        slots={"case_number": case_number, "requested_slot": "access_code", **slots},
        active_loop="case_status_form",
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateCaseStatusForm(backend=backend or demo_backend()).run(dispatcher, tracker, domain)
    return dispatcher.messages, slot_events(events)


async def test_right_code_shows_status_and_keeps_no_code(make_tracker, domain):
    messages, slots = await submit_code(make_tracker, domain, "BA-2025-004711", "k7m2q9")
    assert "in Bearbeitung" in messages[0]["text"] and "BA-2025-004711" in messages[0]["text"]
    assert slots["access_code"] == "verified" and "K7M2Q9" not in str(slots).upper()
    assert slots.get("requested_slot") is None  # all filled: Rasa ends the form


async def test_wrong_code_and_unknown_number_get_the_same_reply(make_tracker, domain):
    wrong, wrong_slots = await submit_code(make_tracker, domain, "BA-2025-004711", "AAAAAA")
    unknown, _ = await submit_code(make_tracker, domain, "QQ-2025-123456", "AAAAAA")
    assert wrong == unknown and "stimmen nicht" in wrong[0]["text"]
    assert wrong_slots["case_number"] is None and wrong_slots["access_code"] is None
    assert "requested_slot" not in wrong_slots  # Rasa asks for the case number again
    assert wrong_slots["case_check_failures"] == 1


async def test_fifth_failure_locks_the_conversation(make_tracker, domain):
    messages, slots = await submit_code(make_tracker, domain, "QQ-2025-654321", "AAAAAA", case_check_failures=4)
    assert "gesperrt" in messages[0]["text"] and "15 Minuten" in messages[0]["text"]
    assert slots["case_check_locked_until"] > time.time() + 800
    assert slots["requested_slot"] is None  # the form ends


async def test_number_locked_in_the_backend_ends_the_form(make_tracker, domain):
    backend = demo_backend(locked={"BA-2025-004711": 120})
    messages, slots = await submit_code(make_tracker, domain, "BA-2025-004711", "K7M2Q9", backend)
    assert "gesperrt" in messages[0]["text"] and "2 Minuten" in messages[0]["text"]
    assert slots["case_check_result"] == "locked" and slots["access_code"] is None


async def test_implausible_code_is_not_sent_to_the_backend(make_tracker, domain):
    backend = demo_backend()
    messages, slots = await submit_code(make_tracker, domain, "BA-2025-004711", "ja", backend)
    assert "Zugangscode besteht aus" in messages[0]["text"] and slots["access_code"] is None
    assert backend.calls == []


async def test_locked_conversation_skips_the_form(make_tracker, domain):
    tracker = make_tracker("Wie ist der Stand?", "case_status", slots={"case_check_locked_until": time.time() + 600})
    dispatcher = CollectingDispatcher()
    await ActionCaseStatusDone().run(dispatcher, tracker, domain)
    assert "gesperrt" in dispatcher.messages[0]["text"]
    assert (
        await ValidateCaseStatusForm(backend=demo_backend()).required_slots(
            ["case_number", "access_code"], dispatcher, tracker, domain
        )
        == []
    )


async def test_malformed_case_number_gets_the_format(make_tracker, domain):
    tracker = make_tracker(
        "hab ich nicht zur hand", "inform", slots={"requested_slot": "case_number"}, active_loop="case_status_form"
    )
    dispatcher = CollectingDispatcher()
    slots = slot_events(await ValidateCaseStatusForm(backend=demo_backend()).run(dispatcher, tracker, domain))
    assert "BA-2025-004711" in dispatcher.messages[0]["text"] and slots["case_number"] is None


async def test_backend_down_ends_the_check_politely(make_tracker, domain):
    messages, slots = await submit_code(
        make_tracker, domain, "BA-2025-004711", "K7M2Q9", demo_backend(unavailable=True)
    )
    assert "nicht erreichbar" in messages[0]["text"] and slots["case_check_result"] == "unavailable"
    assert slots["access_code"] is None and slots["requested_slot"] is None
