"""Offering a person: the text and the gateway's marker, and the staff rule for complaints."""

from __future__ import annotations

import re

import pytest

from actions.handoff import (
    ActionOfferHandoff,
    offer_marker,
    offer_reason,
    offer_text,
    parse_offer_intents,
    response_instead,
)
from actions.settings import get_settings
from tests.actions.conftest import run_action

pytestmark = pytest.mark.anyio

MARKER_KEY = "handoff_offer"


@pytest.fixture
def offer_intents(monkeypatch: pytest.MonkeyPatch):
    """Sets the staff rule BUERGERBOT_HANDOFF_OFFER_INTENTS for one test."""

    def set_to(value: str) -> None:
        monkeypatch.setenv("BUERGERBOT_HANDOFF_OFFER_INTENTS", value)
        get_settings.cache_clear()

    yield set_to
    get_settings.cache_clear()


# --- the pure parts -----------------------------------------------------------------------------
def test_parse_offer_intents() -> None:
    assert parse_offer_intents("complain") == {"complain"}
    assert parse_offer_intents(" complain , help,,") == {"complain", "help"}
    assert parse_offer_intents("") == frozenset()


def test_the_default_staff_rule_offers_for_complaints() -> None:
    assert get_settings().handoff_offer_intents == "complain"


def test_reason_is_the_intent_or_not_understood() -> None:
    assert offer_reason("human_handoff") == "human_handoff"
    assert offer_reason("complain") == "complain"
    assert offer_reason("nlu_fallback") == "not_understood"
    assert offer_reason("out_of_scope") == "not_understood"
    assert offer_reason(None) == "not_understood"


def test_asking_for_a_person_and_not_understood_are_always_offered() -> None:
    for reason in ("human_handoff", "not_understood"):
        assert response_instead(reason, frozenset()) is None


def test_complaints_follow_the_staff_rule() -> None:
    assert response_instead("complain", {"complain"}) is None
    assert response_instead("complain", set()) == "utter_complain"
    assert response_instead("complain", {"help"}) == "utter_complain"


def test_an_intent_without_an_old_answer_is_offered_even_when_not_configured() -> None:
    assert response_instead("bot_challenge", set()) is None


def test_texts_are_short_polite_and_name_no_fallback() -> None:
    for reason in ("human_handoff", "complain", "not_understood", "bot_challenge"):
        text = offer_text(reason)
        assert "Mitarbeiterin" in text and "Mitarbeiter" in text
        assert re.search(r"\b(Sie|Ihnen|Ihre)\b", text) and not re.search(r"\b(du|dir|dich|dein)\b", text, re.I)
        assert "115" not in text and "@" not in text  # the gateway adds the fallback
        assert len(text) <= 160
    assert offer_text("complain").startswith("Es tut mir leid, dass Sie unzufrieden sind.")
    assert offer_text("not_understood").startswith("Ich verstehe Sie leider nicht.")


def test_marker() -> None:
    assert offer_marker("complain", "reisepass") == {MARKER_KEY: {"reason": "complain", "service": "reisepass"}}
    assert offer_marker("human_handoff", None) == {MARKER_KEY: {"reason": "human_handoff", "service": None}}
    assert offer_marker("human_handoff", "") == {MARKER_KEY: {"reason": "human_handoff", "service": None}}


# --- the action ---------------------------------------------------------------------------------
async def test_human_handoff_sends_the_text_then_the_marker_without_buttons(make_tracker, domain):
    tracker = make_tracker("ich will mit einem mitarbeiter sprechen", "human_handoff")
    messages, slots = await run_action(ActionOfferHandoff(), tracker, domain)
    assert [m["text"] for m in messages] == [
        "Gern verbinde ich Sie mit einer Mitarbeiterin oder einem Mitarbeiter.",
        None,
    ]
    assert messages[1]["custom"] == {MARKER_KEY: {"reason": "human_handoff", "service": None}}
    assert all(not m["buttons"] for m in messages)
    assert slots == {}


async def test_the_marker_carries_the_service_of_the_conversation(make_tracker, domain):
    tracker = make_tracker("Mitarbeiter bitte", "human_handoff", slots={"service": "reisepass"})
    messages, _ = await run_action(ActionOfferHandoff(), tracker, domain)
    assert messages[1]["custom"] == {MARKER_KEY: {"reason": "human_handoff", "service": "reisepass"}}


async def test_human_handoff_is_offered_whatever_the_staff_rule(make_tracker, domain, offer_intents):
    offer_intents("")
    messages, _ = await run_action(ActionOfferHandoff(), make_tracker("Mensch!", "human_handoff"), domain)
    assert messages[-1]["custom"][MARKER_KEY]["reason"] == "human_handoff"


async def test_complaint_is_offered_by_default(make_tracker, domain):
    tracker = make_tracker("ich möchte mich beschweren", "complain", slots={"service": "hundesteuer"})
    messages, _ = await run_action(ActionOfferHandoff(), tracker, domain)
    assert messages[0]["text"].startswith("Es tut mir leid, dass Sie unzufrieden sind.")
    assert "Mitarbeiterin" in messages[0]["text"]
    assert messages[1]["custom"] == {MARKER_KEY: {"reason": "complain", "service": "hundesteuer"}}
    assert all(not m["buttons"] for m in messages)


async def test_complaint_left_out_of_the_staff_rule_gets_the_old_answer(make_tracker, domain, offer_intents):
    offer_intents("human_handoff")
    messages, _ = await run_action(ActionOfferHandoff(), make_tracker("Beschwerde!", "complain"), domain)
    assert [m["response"] for m in messages] == ["utter_complain"]
    assert messages[0]["custom"] == {} and not messages[0]["text"]  # no marker: the gateway offers nothing
    assert "utter_complain" in domain["responses"]


async def test_no_intent_is_not_understood(make_tracker, domain):
    messages, _ = await run_action(ActionOfferHandoff(), make_tracker("???", None), domain)
    assert messages[0]["text"].startswith("Ich verstehe Sie leider nicht.")
    assert messages[1]["custom"][MARKER_KEY]["reason"] == "not_understood"


def test_the_action_is_in_the_domain(domain):
    assert "action_offer_handoff" in domain["actions"]
    assert "utter_human_handoff" not in domain["responses"]
