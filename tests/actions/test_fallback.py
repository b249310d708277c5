"""The two-stage fallback's steps: asking back in German, and offering a person when that fails."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionDefaultAskAffirmation, ActionDefaultFallback, not_understood_again

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


# --- giving up: the answer to the question back was not understood either ----------------------
# Events as Rasa 3.6 sends them to the action server: the affirmation and rephrase questions run
# inside action_two_stage_fallback, so only that action is logged before its question.
def user(intent: str, text: str = "…") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.2}}}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text}


ASKED_BACK = [
    action("action_listen"),
    user("nlu_fallback", "pass kosten?"),
    action("action_two_stage_fallback"),
    {"event": "active_loop", "name": "action_two_stage_fallback"},
    bot("Ich bin mir nicht sicher, ob ich Sie richtig verstehe. Meinen Sie:"),
    action("action_listen"),
]


def test_a_second_misunderstanding_after_the_question_back() -> None:
    assert not_understood_again([*ASKED_BACK, user("nlu_fallback")])
    # entity slots set after the message change nothing
    assert not_understood_again([*ASKED_BACK, user("nlu_fallback"), {"event": "slot", "name": "service"}])


def test_something_else_twice_after_a_rephrase() -> None:
    events = [
        *ASKED_BACK,
        user("out_of_scope", "/out_of_scope"),
        action("action_two_stage_fallback"),
        bot("Das habe ich leider nicht verstanden. Können Sie es bitte anders formulieren?"),
        action("action_listen"),
        user("nlu_fallback"),
        action("action_two_stage_fallback"),
        bot("Ich bin mir nicht sicher, ob ich Sie richtig verstehe. Meinen Sie:"),
        action("action_listen"),
        user("out_of_scope", "/out_of_scope"),
    ]
    assert not_understood_again(events)


def test_an_affirmation_logged_as_an_action_of_its_own_counts_too() -> None:
    events = [action("action_default_ask_affirmation"), bot("Ich bin mir nicht sicher …"), action("action_listen")]
    assert not_understood_again([*events, user("nlu_fallback")])


def test_a_first_misunderstanding_is_not_a_second() -> None:
    events = [action("action_listen"), user("greet"), action("utter_greet"), action("action_listen")]
    assert not not_understood_again([*events, user("nlu_fallback")])
    assert not not_understood_again([user("nlu_fallback")])
    assert not not_understood_again([])


def test_an_understood_message_after_the_question_back_is_not_a_misunderstanding() -> None:
    assert not not_understood_again([*ASKED_BACK, user("ask_fees")])


def test_another_bot_action_in_between_breaks_the_chain() -> None:
    events = [*ASKED_BACK, user("greet"), action("utter_greet"), action("action_listen"), user("nlu_fallback")]
    assert not not_understood_again(events)


def test_an_undone_turn_breaks_the_chain() -> None:
    # After a clarification Rasa reverts the fallback turn and replays the message with its intent.
    events = [*ASKED_BACK, user("nlu_fallback"), {"event": "rewind"}, action("action_listen"), user("out_of_scope")]
    assert not not_understood_again(events)
    assert not not_understood_again([*ASKED_BACK, {"event": "session_started"}, user("nlu_fallback")])


async def test_giving_up_offers_a_person(make_tracker, domain):
    tracker = make_tracker("häh", "nlu_fallback", slots={"service": "reisepass"})
    tracker.events = [*ASKED_BACK, user("nlu_fallback", "häh")]
    dispatcher = CollectingDispatcher()
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"].startswith("Ich verstehe Sie leider nicht.")
    assert dispatcher.messages[1]["custom"] == {"handoff_offer": {"reason": "not_understood", "service": "reisepass"}}
    assert all(not m["buttons"] for m in dispatcher.messages)
    assert events == [UserUtteranceReverted()]  # as Rasa's own action_default_fallback


async def test_core_fallback_keeps_rasas_default_answer(make_tracker, domain):
    tracker = make_tracker("ja", "affirm")
    tracker.events = [action("action_listen"), user("affirm", "ja")]
    dispatcher = CollectingDispatcher()
    events = await ActionDefaultFallback().run(dispatcher, tracker, domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]
    assert events == [UserUtteranceReverted()]


def test_the_fallback_actions_are_in_the_domain(domain):
    assert {"action_default_ask_affirmation", "action_default_fallback"} <= set(domain["actions"])
