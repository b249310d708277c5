import pytest

from actions.offices import ActionAnswerOffice
from tests.actions.conftest import run_action

pytestmark = pytest.mark.anyio


async def run(tracker, domain):
    return await run_action(ActionAnswerOffice(), tracker, domain)


async def test_opening_hours_say_whether_open_now(backend_url, make_tracker, domain):
    messages, slots = await run(
        make_tracker("Wann hat das Standesamt offen?", "ask_opening_hours", {"office": "standesamt"}), domain
    )
    text = messages[0]["text"]
    assert ("jetzt geöffnet" in text or "gerade geschlossen" in text) and "Montag:" in text
    assert slots["office"] == "standesamt"


async def test_office_of_the_service_in_the_conversation(backend_url, make_tracker, domain):
    messages, _ = await run(
        make_tracker("Wo muss ich hin?", "ask_office_location", slots={"service": "kfz_zulassung"}), domain
    )
    assert (
        "Kfz" in messages[0]["text"] and "Telefon:" in messages[0]["text"] and "Barrierefreiheit" in messages[0]["text"]
    )


async def test_unknown_office_asks_with_buttons(backend_url, make_tracker, domain):
    messages, slots = await run(make_tracker("Wann habt ihr offen?", "ask_opening_hours"), domain)
    assert len(messages[0]["buttons"]) == 11 and slots == {"pending_intent": "ask_opening_hours"}
