import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionDefaultAskAffirmation

pytestmark = pytest.mark.anyio


async def test_asks_in_german_with_likely_intents(make_tracker, domain):
    tracker = make_tracker(
        "pass kosten?",
        "nlu_fallback",
        {"service": "reisepass"},
        ranking=[{"name": "nlu_fallback"}, {"name": "ask_fees"}, {"name": "service_info"}],
    )
    dispatcher = CollectingDispatcher()
    await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    buttons = dispatcher.messages[0]["buttons"]
    assert buttons[0] == {"title": "Sie fragen nach den Kosten", "payload": '/ask_fees{"service": "reisepass"}'}
    assert buttons[-1]["title"] == "Etwas anderes"
