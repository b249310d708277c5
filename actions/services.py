"""Answers about services: description, documents, fees and processing time, from the catalogue."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_action import WithBackend
from actions.clients.backend import BackendApi, BackendUnavailable, NotFoundInBackend
from actions.formatting import BACKEND_DOWN, SERVICE_INTENTS, button, service_answer, service_follow_up_buttons
from actions.tracker_utils import latest_entity, latest_intent, latest_text

logger = logging.getLogger(__name__)

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


def is_clear_match(matches: list[dict[str, Any]]) -> bool:
    """One service stands out: strong enough and clearly ahead of the runner-up."""
    if not matches or matches[0]["score"] < TOPIC_CHANGE_SCORE:
        return False
    return len(matches) == 1 or matches[0]["score"] - matches[1]["score"] >= 0.05


async def answer_service(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, client: BackendApi
) -> list[EventType]:
    """Answer `intent` for the service named now, or the conversation's topic, or offer choices."""
    service_id = latest_entity(tracker, "service")
    try:
        if service_id is None:
            matches = await client.search_services(latest_text(tracker))
            topic = tracker.get_slot("service")
            if is_clear_match(matches):
                service_id = matches[0]["id"]
            elif topic:
                service_id = topic
            elif matches:
                dispatcher.utter_message(
                    text="Meinen Sie eine dieser Leistungen?",
                    buttons=[button(m["name"], intent, {"service": m["id"]}) for m in matches],
                )
                return [SlotSet("pending_intent", intent)]
            else:
                dispatcher.utter_message(
                    text="Zu welcher Leistung möchten Sie etwas wissen? Wählen Sie aus oder schreiben Sie den Namen.",
                    buttons=[button(title, intent, {"service": sid}) for title, sid in POPULAR_SERVICES],
                )
                return [SlotSet("pending_intent", intent)]
        service = await client.get_service(service_id)
    except NotFoundInBackend:
        logger.warning("service %s from NLU is not in the catalogue", service_id)
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
