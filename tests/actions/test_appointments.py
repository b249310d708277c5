"""Booking, cancelling and moving appointments: the pure parts, and the form actions against the real
backend app in process (its own SQLite database, its clock fixed on a Monday morning)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from rasa_sdk.executor import CollectingDispatcher

from actions import appointment_flow as flow
from actions.appointments import (
    ActionAppointmentDone,
    ActionAskAppointmentCode,
    ActionAskAppointmentConfirmed,
    ActionAskAppointmentSlot,
    SlotPicking,
    ValidateAppointmentForm,
    ValidateCancelAppointmentForm,
)
from actions.clients.backend import BackendClient
from actions.formatting import BACKEND_DOWN
from actions.settings import ActionSettings
from bot.core.appointment_time import BERLIN, Preference
from tests.actions.conftest import slot_events

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN)  # a Monday
TOKEN = "appointment-test-token-0123456789"


# --- pure parts ---


def test_slot_query_carries_the_preference_within_four_weeks():
    preference = Preference(date(2026, 11, 24), None, time(8), time(12), frozenset({1, 2}))
    query = flow.slot_query(preference, date(2026, 11, 23), "buergeramt")
    assert query == {
        "from": "2026-11-24",
        "to": "2026-12-21",
        "limit": flow.SLOTS_FETCHED,
        "office": "buergeramt",
        "after": "08:00",
        "before": "12:00",
        "weekdays": "1,2",
    }
    assert flow.slot_query(Preference(date(2026, 11, 23), asap=True), date(2026, 11, 23), None) == {
        "from": "2026-11-23",
        "to": "2026-12-20",
        "limit": flow.SLOTS_FETCHED,
    }


def test_preference_survives_the_slot():
    preference = Preference(date(2026, 12, 1), date(2026, 12, 3), time(14), None, frozenset({0, 1}), asap=False)
    assert flow.preference_from_slot(flow.preference_to_slot(preference)) == preference
    assert flow.preference_from_slot({"earliest_day": "kaputt"}) is None


def _slot(n: int) -> dict[str, Any]:
    start = NOW + timedelta(hours=1, minutes=20 * n)
    return {"office": {"id": "buergeramt", "name": "Bürgeramt Mitte"}, "start": start.isoformat(), "label": f"S{n}"}


def test_three_slot_buttons_and_later():
    slots = [_slot(n) for n in range(7)]
    first = flow.slot_buttons(slots, 0, show_office=False)
    assert [b["title"] for b in first] == ["S0", "S1", "S2", "Später"]
    assert flow.parse_pick(first[0]["payload"].split('"')[3]) == ("buergeramt", slots[0]["start"])
    assert [b["title"] for b in flow.slot_buttons(slots, 6, show_office=True)] == ["S6, Bürgeramt Mitte"]


def test_keys_are_stable_and_reveal_no_sender():
    key = flow.idempotency_key("web:abc", "hold1234567")
    assert key == flow.idempotency_key("web:abc", "hold1234567") != flow.idempotency_key("web:abc", "other12345")
    assert 16 <= len(key) <= 200 and "web:abc" not in key
    assert "web:abc" not in flow.client_key("web:abc")


@pytest.mark.parametrize(
    ("typed", "code"),
    [("k7m2 q9xa bc", "K7M2Q9XABC"), ("8AD7XYPH65", "8AD7XYPH65"), ("ja", None), ("ich weiß nicht", None)],
)
def test_booking_code_as_typed(typed, code):
    assert flow.normalize_code(typed) == code


def test_verified_bookings_expire():
    store = flow.VerifiedBookings(ttl_seconds=60)
    store.put("a", "CODE123456", "a@example.de", now=0)
    assert store.get("a", now=59) == ("CODE123456", "a@example.de")
    assert store.get("a", now=61) is None


# --- the actions against the real backend ---


@pytest.fixture(scope="module")
def backend_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from bot.backend.app import create_app
    from bot.backend.settings import BackendSettings

    settings = BackendSettings(
        data_dir=Path(tmp_path_factory.mktemp("appointments")),
        database_url="",
        fixed_now=NOW.isoformat(),
        backend_token=TOKEN,
        appointment_holds_per_window=1000,
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def backend(backend_app: TestClient, monkeypatch: pytest.MonkeyPatch) -> BackendClient:
    monkeypatch.setattr(SlotPicking, "clock", staticmethod(lambda: NOW))
    transport = httpx.ASGITransport(app=backend_app.app)
    return BackendClient(ActionSettings(backend_url="http://backend"), transport=transport)


async def turn(
    action: Any,
    make_tracker: Any,
    domain: dict[str, Any],
    text: str,
    intent: str = "inform",
    slots: dict[str, Any] | None = None,
    entities: dict[str, str] | None = None,
    sender: str = "test:appointments",
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    tracker = make_tracker(text, intent, entities, slots=slots, active_loop="appointment_form")
    tracker.sender_id = sender
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return dispatcher.messages, as_rasa_asks(action, tracker, domain, slot_events(events))


def as_rasa_asks(action: Any, tracker: Any, domain: dict[str, Any], slots: dict[str, Any]) -> dict[str, Any]:
    """rasa_sdk leaves the next question to Rasa when the form's slots are the domain's list: then
    Rasa asks for the list's first empty slot."""
    form = getattr(action, "form_name", None)
    if form is not None and "requested_slot" not in slots:
        filled = {**tracker.slots, **slots}
        required = domain["forms"][form()]["required_slots"]
        slots["requested_slot"] = next((s for s in required if filled.get(s) is None), None)
    return slots


async def book(backend: BackendClient, make_tracker, domain, sender: str, email: str, service: str = "reisepass"):
    """A booking in one go, turn by turn as Rasa runs the form; the slots at the end, the answers."""
    form = ValidateAppointmentForm(backend=backend)
    said: list[str] = []
    files: list[dict[str, Any]] = []  # the gateway's attachment markers (json_message)
    state: dict[str, Any] = {}

    async def step(text: str, intent: str = "inform", entities: dict[str, str] | None = None) -> dict[str, Any]:
        messages, slots = await turn(form, make_tracker, domain, text, intent, state, entities, sender)
        state.update(slots)
        said.extend(m["text"] for m in messages if m.get("text"))
        files.extend(m["custom"]["attachment"] for m in messages if "attachment" in (m.get("custom") or {}))
        return slots

    await step(f"Ich brauche einen Termin für {service}", "book_appointment", {"service": service})
    assert state["requested_slot"] == "appointment_when"
    await step("morgen Vormittag")
    assert state["requested_slot"] == "appointment_slot"
    asked, _ = await turn(ActionAskAppointmentSlot(backend=backend), make_tracker, domain, "", slots=state)
    buttons = asked[0]["buttons"]
    pick = buttons[0]["payload"].split('"')[3]
    await step(buttons[0]["title"], entities={"appointment_pick": pick})
    assert state["requested_slot"] == "appointment_name"
    await step("Erika Mustermann")
    await step(email)
    assert state["requested_slot"] == "appointment_confirmed"
    summary, _ = await turn(ActionAskAppointmentConfirmed(), make_tracker, domain, "", slots=state)
    await step("Ja", "affirm")
    return state, said, asked, summary, files


async def test_booking_in_one_go(backend, make_tracker, domain):
    state, said, asked, summary, files = await book(
        backend, make_tracker, domain, "test:one-go", "erika.one@example.de"
    )
    assert state["appointment_office"] == "buergeramt"  # the only office: not asked
    titles = [b["title"] for b in asked[0]["buttons"]]
    assert len(titles) == 4 and titles[-1] == "Später" and titles[0].startswith("Dienstag, 24. November 2026, 08:")
    assert "Dienstag, 24. November 2026, 08:" in summary[0]["text"] and "Bürgeramt Mitte" in summary[0]["text"]
    assert [b["payload"] for b in summary[0]["buttons"]] == ["/affirm", "/deny"]
    booked = said[-1]
    assert "Ihr Termin ist gebucht: Reisepass am Dienstag, 24. November 2026, 08:" in booked
    assert "Buchungscode: " in booked and "/api/appointments/bookings/" in booked and ".ics?token=" in booked
    assert "Bitte bringen Sie mit:" in booked and "Lichtbild" in booked
    assert state["appointment_result"] == "booked" and state["requested_slot"] is None
    # The gateway is asked to send the .ics as a file too (Telegram); the citizen never sees the marker.
    (ics,) = files
    assert ics["path"] in booked and ics["path"].startswith("/api/appointments/bookings/")
    assert (ics["filename"], ics["mime"]) == ("termin.ics", "text/calendar")
    # The same hold confirmed again with the conversation's key: the same booking, not a second one.
    key = flow.idempotency_key("test:one-go", state["appointment_slot"]["hold_id"])
    again = await backend.confirm_hold(
        state["appointment_slot"]["hold_id"], "Erika Mustermann", "erika.one@example.de", key
    )
    assert again["repeated"] is True and again["code"] in booked


async def test_later_shows_the_next_three(backend, make_tracker, domain):
    state = {
        "appointment_service": "reisepass",
        "appointment_office": "buergeramt",
        "appointment_when": flow.preference_to_slot(Preference(date(2026, 11, 24), asap=True)),
        "requested_slot": "appointment_slot",
    }
    first, _ = await turn(ActionAskAppointmentSlot(backend=backend), make_tracker, domain, "", slots=state)
    _, slots = await turn(
        ValidateAppointmentForm(backend=backend),
        make_tracker,
        domain,
        "Später",
        slots=state,
        entities={"appointment_pick": "later"},
    )
    assert slots["appointment_offset"] == 3 and slots["requested_slot"] == "appointment_slot"
    later, _ = await turn(ActionAskAppointmentSlot(backend=backend), make_tracker, domain, "", slots={**state, **slots})
    assert not {b["title"] for b in first[0]["buttons"][:3]} & {b["title"] for b in later[0]["buttons"][:3]}


async def test_unreadable_time_is_asked_back(backend, make_tracker, domain):
    state = {
        "appointment_service": "reisepass",
        "appointment_office": "buergeramt",
        "requested_slot": "appointment_when",
    }
    messages, slots = await turn(
        ValidateAppointmentForm(backend=backend), make_tracker, domain, "irgendwann", slots=state
    )
    assert slots["appointment_when"] is None and "Zum Beispiel" in messages[0]["text"]


async def test_invalid_email_is_asked_again(backend, make_tracker, domain):
    state = {
        "appointment_service": "reisepass",
        "appointment_office": "buergeramt",
        "appointment_when": {"asap": True},
        "appointment_slot": {"hold_id": "x"},
        "appointment_name": "Erika Mustermann",
        "requested_slot": "appointment_email",
    }
    messages, slots = await turn(
        ValidateAppointmentForm(backend=backend), make_tracker, domain, "erika@beispiel", slots=state
    )
    assert slots["appointment_email"] is None and slots["requested_slot"] == "appointment_email"
    assert "„@“" in messages[0]["text"]  # the reason, in German


async def test_service_without_appointments_says_so_and_links_online(backend, make_tracker, domain):
    messages, slots = await turn(
        ValidateAppointmentForm(backend=backend),
        make_tracker,
        domain,
        "Termin Hundesteuer",
        "book_appointment",
        entities={"service": "hundesteuer"},
    )
    assert (
        "brauchen Sie keinen Termin" in messages[0]["text"]
        and "musterstadt.de/online/hundesteuer" in messages[0]["text"]
    )
    assert slots["appointment_result"] == "no_appointment" and slots["requested_slot"] is None


async def test_nothing_free_in_four_weeks_offers_waiting_list_or_115(backend_app, backend, make_tracker, domain):
    closed = backend_app.post(
        "/api/appointments/offices/standesamt/closures",
        json={"start": "2026-11-23T00:00:00", "end": "2027-01-31T00:00:00", "reason": "Umbau"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert closed.status_code == 201, closed.text
    state = {
        "appointment_service": "eheschliessung",
        "appointment_office": "standesamt",
        "appointment_offices": [{"id": "standesamt", "name": "Standesamt"}],
        "requested_slot": "appointment_when",
    }
    messages, slots = await turn(
        ValidateAppointmentForm(backend=backend), make_tracker, domain, "so bald wie möglich", slots=state
    )
    assert messages[-1]["text"] == flow.WAITING_LIST and "115" in flow.WAITING_LIST
    assert slots["appointment_result"] == "no_slots" and slots["requested_slot"] is None


async def test_nothing_free_here_offers_the_other_offices(backend, make_tracker, domain):
    state = {
        "appointment_service": "eheschliessung",
        "appointment_office": "standesamt",  # closed by the test above, or free: the buttons show the other office
        "appointment_offices": [
            {"id": "standesamt", "name": "Standesamt"},
            {"id": "buergeramt", "name": "Bürgeramt Mitte"},
        ],
        "requested_slot": "appointment_when",
    }
    form = ValidateAppointmentForm(backend=backend)
    result = await form._nothing_free(
        CollectingDispatcher(), make_tracker("", "inform", slots=state), "reisepass", "standesamt"
    )
    assert result["appointment_offices"] == [{"id": "buergeramt", "name": "Bürgeramt Mitte"}]
    assert result["appointment_office"] is None and "appointment_result" not in result


async def test_slot_taken_meanwhile_offers_the_next(backend, make_tracker, domain):
    answer = await backend.find_slots("fuehrerschein_ausland", {"limit": 1})
    slot = answer["slots"][0]
    pick = f"{slot['office']['id']}|{slot['start']}"
    for n in range(slot["free_counters"]):  # others hold every counter
        await backend.place_hold("fuehrerschein_ausland", slot["office"]["id"], slot["start"], f"other:{n}")
    state = {
        "appointment_service": "fuehrerschein_ausland",
        "appointment_office": slot["office"]["id"],
        "appointment_when": {"asap": True},
        "requested_slot": "appointment_slot",
    }
    messages, slots = await turn(
        ValidateAppointmentForm(backend=backend),
        make_tracker,
        domain,
        "x",
        slots=state,
        entities={"appointment_pick": pick},
    )
    assert "gerade vergeben" in messages[0]["text"]
    assert slots["appointment_slot"] is None and slots["requested_slot"] == "appointment_slot"


async def test_backend_down_gets_a_friendly_answer(silent_backend, make_tracker, domain):
    messages, slots = await turn(
        ValidateAppointmentForm(),
        make_tracker,
        domain,
        "Termin Reisepass",
        "book_appointment",
        entities={"service": "reisepass"},
    )
    assert messages[-1]["text"] == BACKEND_DOWN and slots["appointment_result"] == "unavailable"


# --- cancelling and moving ---


async def cancel_turn(
    backend, make_tracker, domain, text, state, intent="inform", entities=None, sender="test:c", messages=None
):
    tracker = make_tracker(text, intent, entities, slots=state, active_loop="cancel_appointment_form")
    tracker.sender_id = sender
    dispatcher = CollectingDispatcher()
    action = ValidateCancelAppointmentForm(backend=backend)
    slots = as_rasa_asks(action, tracker, domain, slot_events(await action.run(dispatcher, tracker, domain)))
    state.update(slots)
    if messages is not None:
        messages.extend(dispatcher.messages)
    return [m.get("text") or "" for m in dispatcher.messages], slots


def code_of(said: list[str]) -> str:
    return next(line.split(": ")[1] for text in said for line in text.splitlines() if "Buchungscode:" in line)


async def test_cancelling_with_code_and_email(backend, make_tracker, domain):
    _, said, _, _, _ = await book(backend, make_tracker, domain, "test:cancel-book", "erika.cancel@example.de")
    state: dict[str, Any] = {"requested_slot": "appointment_email"}
    await cancel_turn(backend, make_tracker, domain, "erika.cancel@example.de", state)
    assert state["requested_slot"] == "appointment_code"
    said_now, _ = await cancel_turn(backend, make_tracker, domain, code_of(said).lower(), state)
    assert "Ich habe Ihren Termin gefunden: Reisepass am Dienstag, 24. November 2026" in said_now[0]
    assert state["appointment_code"] == "verified" and state["requested_slot"] == "appointment_action"
    said_now, _ = await cancel_turn(
        backend, make_tracker, domain, "Absagen", state, "cancel_appointment", {"appointment_action": "cancel"}
    )
    assert "ist abgesagt" in said_now[0] and state["appointment_result"] == "cancelled"
    assert state["requested_slot"] is None


async def test_wrong_code_is_refused_politely_and_counted(backend, make_tracker, domain):
    state: dict[str, Any] = {"appointment_email": "niemand@example.de", "requested_slot": "appointment_code"}
    said, slots = await cancel_turn(backend, make_tracker, domain, "AAAA2222BB", state)
    assert "stimmen leider nicht" in said[0] and "noch 4 Versuche" in said[0]
    assert slots["appointment_code"] is None and slots["appointment_email"] is None
    assert slots["requested_slot"] == "appointment_email"


async def test_the_code_prompt_is_secret():
    dispatcher = CollectingDispatcher()
    await ActionAskAppointmentCode().run(dispatcher, None, {})  # type: ignore[arg-type]
    assert dispatcher.messages[0]["custom"] == {"input": "secret"} and "Buchungscode" in dispatcher.messages[0]["text"]


async def test_moving_an_appointment(backend, make_tracker, domain):
    _, said, _, _, _ = await book(
        backend, make_tracker, domain, "test:move-book", "erika.move@example.de", "kfz_zulassung"
    )
    sender = "test:move"
    state: dict[str, Any] = {"requested_slot": "appointment_email"}
    await cancel_turn(backend, make_tracker, domain, "erika.move@example.de", state, sender=sender)
    await cancel_turn(backend, make_tracker, domain, code_of(said), state, sender=sender)
    await cancel_turn(
        backend,
        make_tracker,
        domain,
        "Verschieben",
        state,
        "cancel_appointment",
        {"appointment_action": "move"},
        sender,
    )

    assert state["requested_slot"] == "appointment_when" and state["appointment_service"] == "kfz_zulassung"
    await cancel_turn(backend, make_tracker, domain, "Donnerstag nachmittags", state, sender=sender)
    asked, _ = await turn(ActionAskAppointmentSlot(backend=backend), make_tracker, domain, "", slots=state)
    button = asked[0]["buttons"][0]
    assert button["title"].startswith("Donnerstag, 26. November 2026, 1")
    await cancel_turn(
        backend,
        make_tracker,
        domain,
        button["title"],
        state,
        entities={"appointment_pick": button["payload"].split('"')[3]},
        sender=sender,
    )
    assert state["requested_slot"] == "appointment_confirmed"
    sent: list[dict[str, Any]] = []
    said_now, _ = await cancel_turn(backend, make_tracker, domain, "ja", state, "affirm", sender=sender, messages=sent)
    assert said_now[0].startswith("Ihr Termin ist verschoben auf Donnerstag, 26. November 2026, 1")
    ics = sent[1]["custom"]["attachment"]
    assert ics["path"] in said_now[0] and ics["filename"] == "termin.ics" and not sent[1].get("text")
    assert state["appointment_result"] == "moved"


async def test_done_clears_every_appointment_slot(make_tracker, domain):
    tracker = make_tracker("", "affirm", slots={"appointment_result": "booked", "appointment_email": "a@example.de"})
    dispatcher = CollectingDispatcher()
    events = await ActionAppointmentDone().run(dispatcher, tracker, domain)
    assert set(slot_events(events).values()) == {None} and dispatcher.messages[0]["response"] == "utter_anything_else"
