"""Service answers driven by the service resolver's result: answer, choose, none and follow-ups."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from actions.fallback import ActionDefaultAskAffirmation
from actions.formatting import city_search_url
from actions.inform import ActionHandleInform
from actions.services import ActionAnswerService, ServicePlan, plan_service_answer
from tests.actions.conftest import run_action
from tests.actions.fakes import FakeBackend

pytestmark = pytest.mark.anyio


def resolution(decision: str, *ids: str, life_event: str | None = None, names_topic: bool = True) -> dict[str, Any]:
    return {
        "decision": decision,
        "candidates": [{"id": i, "name": i.title(), "score": 0.9 - n / 10} for n, i in enumerate(ids)],
        "life_event": life_event,
        "names_topic": names_topic,
    }


def tracker_with(make_tracker, text, intent, result, entities=None, slots=None):
    tracker = make_tracker(text, intent, entities, slots)
    tracker.latest_message["service_resolution"] = result
    return tracker


# --- the pure plan ------------------------------------------------------------------------------
def test_plan_prefers_the_named_entity() -> None:
    plan = plan_service_answer("reisepass", resolution("answer", "personalausweis"), None, "ask_fees")
    assert plan == ServicePlan("service", "reisepass")


def test_plan_without_a_resolution_uses_the_backend_search() -> None:
    assert plan_service_answer(None, None, "reisepass", "ask_fees").kind == "search"


def test_plan_choose_keeps_the_topic_when_it_is_a_candidate() -> None:
    result = resolution("choose", "kfz_zulassung", "halterwechsel")
    assert plan_service_answer(None, result, "halterwechsel", "ask_fees") == ServicePlan("service", "halterwechsel")
    assert plan_service_answer(None, result, "reisepass", "ask_fees").kind == "choose"


def test_plan_none() -> None:
    follow_up = resolution("none", names_topic=False)
    assert plan_service_answer(None, follow_up, "reisepass", "ask_fees") == ServicePlan("service", "reisepass")
    assert plan_service_answer(None, follow_up, None, "ask_fees").kind == "ask"
    unknown = resolution("none")
    assert plan_service_answer(None, unknown, None, "service_info").kind == "none"
    assert plan_service_answer(None, unknown, "reisepass", "service_info").kind == "none"


# --- the actions --------------------------------------------------------------------------------
async def test_a_situation_is_answered_with_its_service(make_tracker, domain) -> None:
    tracker = tracker_with(
        make_tracker,
        "Ich bin umgezogen",
        "service_info",
        resolution("answer", "wohnsitz_anmeldung", life_event="umzug"),
    )
    messages, slots = await run_action(ActionAnswerService(backend=FakeBackend()), tracker, domain)
    assert messages[0]["text"].startswith("Anmeldung des Wohnsitzes:")
    assert slots["service"] == "wohnsitz_anmeldung"


async def test_a_choice_offers_one_button_per_candidate_repeating_the_aspect(make_tracker, domain) -> None:
    result = resolution("choose", "kfz_zulassung", "halterwechsel", life_event="auto_gekauft")
    tracker = tracker_with(make_tracker, "Auto gekauft, was kostet das", "ask_fees", result)
    messages, slots = await run_action(ActionAnswerService(backend=FakeBackend()), tracker, domain)
    assert messages[0]["text"] == "Dazu passen mehrere Leistungen. Welche meinen Sie?"
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/ask_fees{"service": "kfz_zulassung"}',
        '/ask_fees{"service": "halterwechsel"}',
    ]
    assert slots == {"pending_intent": "ask_fees"}


async def test_nothing_fitting_says_so_and_offers_search_and_a_person(make_tracker, domain) -> None:
    text = "Ich möchte einen Angelschein & Köder"
    tracker = tracker_with(make_tracker, text, "service_info", resolution("none"))
    backend = FakeBackend()
    messages, _ = await run_action(ActionAnswerService(backend=backend), tracker, domain)
    answer = messages[0]["text"]
    assert "nichts Passendes" in answer and city_search_url(text) in answer
    assert parse_qs(urlparse(city_search_url(text)).query)["q"] == [text]
    assert messages[0]["buttons"] == [{"title": "Mit einem Menschen sprechen", "payload": "/human_handoff"}]
    assert backend.calls == []  # never a guessed service


async def test_a_follow_up_after_a_situation_keeps_the_topic(make_tracker, domain) -> None:
    tracker = tracker_with(
        make_tracker,
        "Und was kostet das?",
        "ask_fees",
        resolution("none", names_topic=False),
        slots={"service": "wohnsitz_anmeldung"},
    )
    messages, _ = await run_action(ActionAnswerService(backend=FakeBackend()), tracker, domain)
    assert messages[0]["text"].startswith("Gebühr für Anmeldung des Wohnsitzes:")


async def test_backend_down_during_a_situation_answer(make_tracker, domain) -> None:
    tracker = tracker_with(make_tracker, "Hund angeschafft", "service_info", resolution("answer", "hundesteuer"))
    messages, slots = await run_action(ActionAnswerService(backend=FakeBackend(unavailable=True)), tracker, domain)
    assert "nicht erreichbar" in messages[0]["text"] and slots == {}


async def test_a_bare_situation_word_gets_the_choice(make_tracker, domain) -> None:
    result = resolution("choose", "personalausweis", "vorlaeufiger_personalausweis", life_event="ausweis_verloren")
    tracker = tracker_with(make_tracker, "Ausweis weg", "inform", result)
    messages, _ = await run_action(ActionHandleInform(backend=FakeBackend()), tracker, domain)
    assert len(messages[0]["buttons"]) == 2
    assert messages[0]["buttons"][0]["payload"] == '/service_info{"service": "personalausweis"}'


async def test_a_bare_unknown_word_is_not_a_service(make_tracker, domain) -> None:
    tracker = tracker_with(make_tracker, "Angelschein", "inform", resolution("none"))
    messages, _ = await run_action(ActionHandleInform(backend=FakeBackend()), tracker, domain)
    assert "nichts Passendes" in messages[0]["text"]


async def test_the_fallback_offers_the_resolvers_services(make_tracker, domain) -> None:
    result = resolution("choose", "kfz_zulassung", "halterwechsel")
    tracker = tracker_with(make_tracker, "karre zulasen?", "nlu_fallback", result)
    messages, _ = await run_action(ActionDefaultAskAffirmation(), tracker, domain)
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == [
        '/service_info{"service": "kfz_zulassung"}',
        '/service_info{"service": "halterwechsel"}',
        "/out_of_scope",
    ]
