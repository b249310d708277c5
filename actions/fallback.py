"""German replacements for the steps of Rasa's two-stage fallback.

"Did you mean ...?": when the service resolver found a few services that may fit, those are
offered; otherwise the likely intents.

Giving up: Rasa's `action_two_stage_fallback` gives up with `action_default_fallback` when the
answer to its question back was not understood either (nlu_fallback twice in a row, or "something
else" twice). Then a person is offered (`actions.handoff`). The same action is also RulePolicy's
core fallback (no rule fits): that one keeps Rasa's `utter_default`. Both undo the citizen's
message as Rasa's own action does."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import NOT_UNDERSTOOD, NOT_UNDERSTOOD_INTENTS, send_offer

INTENT_DESCRIPTIONS_DE = {
    "greet": "Sie möchten mich begrüßen",
    "goodbye": "Sie möchten sich verabschieden",
    "thank": "Sie möchten sich bedanken",
    "bot_challenge": "Sie fragen, ob ich ein Bot bin",
    "help": "Sie brauchen eine Übersicht, wobei ich helfe",
    "human_handoff": "Sie möchten mit einem Menschen sprechen",
    "complain": "Sie möchten sich beschweren",
    "service_info": "Sie fragen nach einer Leistung der Stadt",
    "ask_documents": "Sie fragen nach den nötigen Unterlagen",
    "ask_fees": "Sie fragen nach den Kosten",
    "ask_processing_time": "Sie fragen nach der Bearbeitungszeit",
    "ask_opening_hours": "Sie fragen nach Öffnungszeiten",
    "ask_office_location": "Sie fragen nach Adresse oder Anfahrt",
    "case_status": "Sie fragen nach dem Stand Ihres Antrags",
    "book_appointment": "Sie möchten einen Termin vereinbaren",
    "cancel_appointment": "Sie möchten einen Termin absagen",
}


# The bot actions that ask back when a message was not understood. Rasa 3.6 logs only the loop
# action; the affirmation and rephrase steps run inside it.
QUESTION_BACK_ACTIONS = frozenset({"action_two_stage_fallback", "action_default_ask_affirmation"})
_UNDONE = frozenset({"rewind", "undo", "restart", "session_started"})


def not_understood_again(events: list[dict[str, Any]]) -> bool:
    """Whether the citizen's latest message was not understood and answered the bot's question back
    (the two-stage fallback's "Ich bin mir nicht sicher …" or "bitte anders formulieren"): the
    bot's last action before it, apart from action_listen, was that question."""
    latest_user_seen = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            if latest_user_seen:
                return False
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent not in NOT_UNDERSTOOD_INTENTS:
                return False
            latest_user_seen = True
        elif not latest_user_seen:
            continue
        elif kind in _UNDONE:
            return False
        elif kind == "action" and event.get("name") != "action_listen":
            return event.get("name") in QUESTION_BACK_ACTIONS
    return False


def service_affirmation_buttons(resolution: dict[str, Any] | None) -> list[dict[str, str]]:
    """The resolver's candidate services (when it offered a choice) as /service_info buttons."""
    if not resolution or resolution.get("decision") != "choose":
        return []
    return [
        {"title": c["name"], "payload": f"/service_info{json.dumps({'service': c['id']}, ensure_ascii=False)}"}
        for c in (resolution.get("candidates") or [])[:3]
        if c.get("id") and c.get("name")
    ]


def affirmation_buttons(ranking: list[dict[str, Any]], entities: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Up to two likely intents as buttons (entities kept), then "something else"."""
    entity_values = {e["entity"]: e["value"] for e in entities}
    payload_entities = json.dumps(entity_values, ensure_ascii=False) if entity_values else ""
    buttons = [
        {"title": INTENT_DESCRIPTIONS_DE[item["name"]], "payload": f"/{item['name']}{payload_entities}"}
        for item in ranking
        if item.get("name") in INTENT_DESCRIPTIONS_DE
    ][:2]
    buttons.append({"title": "Etwas anderes", "payload": "/out_of_scope"})
    return buttons


class ActionDefaultAskAffirmation(Action):
    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message
        services = service_affirmation_buttons(message.get("service_resolution"))
        buttons = (
            [*services, {"title": "Etwas anderes", "payload": "/out_of_scope"}]
            if services
            else affirmation_buttons(message.get("intent_ranking") or [], message.get("entities") or [])
        )
        dispatcher.utter_message(
            text="Ich bin mir nicht sicher, ob ich Sie richtig verstehe. Meinen Sie:", buttons=buttons
        )
        return []


class ActionDefaultFallback(Action):
    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if not_understood_again(tracker.events):
            send_offer(dispatcher, NOT_UNDERSTOOD, tracker.get_slot("service"))
        else:
            dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted()]
