"""Answers about services: description, documents, fees and processing time, from the catalogue.

Which service the citizen means comes from the NLU: a `service` entity, or the service
resolver's `service_resolution` (answer / choose / none, bot/nlu/service_resolver.py), or the
conversation's topic (the `service` slot) for follow-ups such as "Und was kostet das?".
`plan_service_answer` decides (pure); the action only fetches and formats.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_action import WithBackend
from actions.clients.backend import BackendApi, BackendUnavailable, NotFoundInBackend
from actions.formatting import (
    BACKEND_DOWN,
    HANDOFF_BUTTON,
    SERVICE_INTENTS,
    button,
    choose_service_text,
    no_service_found_text,
    service_answer,
    service_choice_buttons,
    service_follow_up_buttons,
)
from actions.tracker_utils import latest_entity, latest_intent, latest_text

logger = logging.getLogger(__name__)

RESOLUTION_KEY = "service_resolution"
# Follow-up aspects: with a topic, a message that names no catalogue service asks about the topic.
ASPECT_INTENTS = ("ask_documents", "ask_fees", "ask_processing_time")
# A service the citizen named in words the NLU does not know must score this high to change the topic.
TOPIC_CHANGE_SCORE = 0.85
POPULAR_SERVICES = (
    ("Personalausweis", "personalausweis"),
    ("Reisepass", "reisepass"),
    ("Wohnsitz anmelden", "wohnsitz_anmeldung"),
    ("Auto zulassen", "kfz_zulassung"),
    ("Führungszeugnis", "fuehrungszeugnis"),
    ("Heiraten", "eheschliessung"),
)


@dataclass(frozen=True)
class ServicePlan:
    """What to answer: one service, a choice, "not in the catalogue", a question back, or (without
    the resolver's result) the backend's search."""

    kind: Literal["service", "choose", "none", "ask", "search"]
    service_id: str | None = None
    candidates: tuple[dict[str, Any], ...] = ()
    life_event: str | None = None


def resolution_of(tracker: Tracker) -> dict[str, Any] | None:
    resolution = tracker.latest_message.get(RESOLUTION_KEY)
    return resolution if isinstance(resolution, dict) and resolution.get("decision") else None


def plan_service_answer(
    entity: str | None, resolution: dict[str, Any] | None, topic: str | None, intent: str
) -> ServicePlan:
    if entity:
        return ServicePlan("service", entity)
    if resolution is None:
        return ServicePlan("search")
    decision = resolution["decision"]
    candidates = tuple(c for c in resolution.get("candidates") or [] if c.get("id") and c.get("name"))
    if decision == "answer" and candidates:
        return ServicePlan("service", candidates[0]["id"])
    if decision == "choose" and candidates:
        if topic and any(c["id"] == topic for c in candidates):
            return ServicePlan("service", topic)
        return ServicePlan("choose", candidates=candidates, life_event=resolution.get("life_event"))
    names_topic = bool(resolution.get("names_topic", True))
    if topic and (not names_topic or intent in ASPECT_INTENTS):
        return ServicePlan("service", topic)
    return ServicePlan("none" if names_topic else "ask")


def is_clear_match(matches: list[dict[str, Any]]) -> bool:
    """One service stands out: strong enough and clearly ahead of the runner-up."""
    if not matches or matches[0]["score"] < TOPIC_CHANGE_SCORE:
        return False
    return len(matches) == 1 or matches[0]["score"] - matches[1]["score"] >= 0.05


async def _plan_from_search(tracker: Tracker, client: BackendApi) -> ServicePlan:
    """Without the resolver's result (an older model): the backend's fuzzy search."""
    matches = await client.search_services(latest_text(tracker))
    topic = tracker.get_slot("service")
    if is_clear_match(matches):
        return ServicePlan("service", matches[0]["id"])
    if topic:
        return ServicePlan("service", topic)
    if matches:
        return ServicePlan("choose", candidates=tuple(matches))
    return ServicePlan("ask")


async def answer_service(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, client: BackendApi
) -> list[EventType]:
    """Answer `intent` for the service meant now, or the conversation's topic, or offer choices."""
    plan = plan_service_answer(
        latest_entity(tracker, "service"), resolution_of(tracker), tracker.get_slot("service"), intent
    )
    try:
        if plan.kind == "search":
            plan = await _plan_from_search(tracker, client)
        if plan.kind == "choose":
            dispatcher.utter_message(
                text=choose_service_text(plan.life_event),
                buttons=service_choice_buttons(list(plan.candidates), intent),
            )
            return [SlotSet("pending_intent", intent)]
        if plan.kind == "none":
            dispatcher.utter_message(text=no_service_found_text(latest_text(tracker)), buttons=[HANDOFF_BUTTON])
            return [SlotSet("pending_intent", None)]
        if plan.kind == "ask" or plan.service_id is None:
            dispatcher.utter_message(
                text="Zu welcher Leistung möchten Sie etwas wissen? Wählen Sie aus oder schreiben Sie den Namen.",
                buttons=[button(title, intent, {"service": sid}) for title, sid in POPULAR_SERVICES],
            )
            return [SlotSet("pending_intent", intent)]
        service = await client.get_service(plan.service_id)
    except NotFoundInBackend:
        logger.warning("service %s from NLU is not in the catalogue", plan.service_id)
        dispatcher.utter_message(
            text="Zu dieser Leistung habe ich leider keine Informationen. Schreiben Sie „Hilfe“ für eine Übersicht."
        )
        return [SlotSet("service", None)]
    except BackendUnavailable:
        logger.exception("backend unavailable while answering %s", intent)
        dispatcher.utter_message(text=BACKEND_DOWN)
        return []
    dispatcher.utter_message(text=service_answer(intent, service), buttons=service_follow_up_buttons(service, intent))
    return [
        SlotSet("service", service["id"]),
        SlotSet("office", service["office"]["id"]),
        SlotSet("pending_intent", None),
    ]


class ActionAnswerService(WithBackend, Action):
    def name(self) -> str:
        return "action_answer_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = latest_intent(tracker)
        if intent not in SERVICE_INTENTS:
            intent = "service_info"
        return await answer_service(dispatcher, tracker, intent, self.backend)
