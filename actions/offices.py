"""Answers about offices: opening hours (open right now? a public holiday?) and location.

"Now" is the backend's clock (`as_of` in its answer), so the open state and the wording agree."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_action import WithBackend
from actions.clients.backend import BackendApi, BackendUnavailable, NotFoundInBackend
from actions.formatting import BACKEND_DOWN, OFFICE_INTENTS, button, location_answer, opening_hours_answer
from actions.tracker_utils import latest_entity, latest_intent

logger = logging.getLogger(__name__)


async def _office_id(tracker: Tracker, client: BackendApi) -> str | None:
    """The office named now, else the office of the service named now, else the topic's office."""
    office_id = latest_entity(tracker, "office")
    if office_id:
        return office_id
    service_id = latest_entity(tracker, "service")
    if service_id:
        return str((await client.get_service(service_id))["office"]["id"])
    office_slot: str | None = tracker.get_slot("office")
    if office_slot:
        return office_slot
    service_slot: str | None = tracker.get_slot("service")
    if service_slot:
        return str((await client.get_service(service_slot))["office"]["id"])
    return None


async def answer_office(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, client: BackendApi
) -> list[EventType]:
    try:
        office_id = await _office_id(tracker, client)
        if office_id is None:
            offices = await client.list_offices()
            dispatcher.utter_message(
                text="Welche Dienststelle meinen Sie?",
                buttons=[button(o["name"], intent, {"office": o["id"]}) for o in offices],
            )
            return [SlotSet("pending_intent", intent)]
        office = await client.get_office(office_id)
    except NotFoundInBackend:
        dispatcher.utter_message(
            text="Diese Dienststelle kenne ich leider nicht. Schreiben Sie „Hilfe“ für eine Übersicht."
        )
        return [SlotSet("office", None)]
    except BackendUnavailable:
        logger.exception("backend unavailable while answering %s", intent)
        dispatcher.utter_message(text=BACKEND_DOWN)
        return []
    if intent == "ask_office_location":
        text = location_answer(office)
        other = button("Öffnungszeiten", "ask_opening_hours", {"office": office_id})
    else:
        text = opening_hours_answer(office)
        other = button("Adresse und Anfahrt", "ask_office_location", {"office": office_id})
    dispatcher.utter_message(text=text, buttons=[other])
    return [SlotSet("office", office_id), SlotSet("pending_intent", None)]


class ActionAnswerOffice(WithBackend, Action):
    def name(self) -> str:
        return "action_answer_office"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = latest_intent(tracker)
        if intent not in OFFICE_INTENTS:
            intent = "ask_opening_hours"
        return await answer_office(dispatcher, tracker, intent, self.backend)
