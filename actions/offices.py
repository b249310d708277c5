"""Answers about offices: opening hours (open right now?) and location."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.backend import BackendClient, BackendUnavailable, NotFoundInBackend, get_backend_client
from actions.formatting import BACKEND_DOWN, OFFICE_INTENTS, button, location_answer, opening_hours_answer
from actions.settings import get_settings
from actions.tracker_utils import latest_entity, latest_intent

logger = logging.getLogger(__name__)


async def _office_id(tracker: Tracker, client: BackendClient) -> str | None:
    """The office named now, else the office of the service named now, else the topic's office."""
    office_id = latest_entity(tracker, "office")
    if office_id:
        return office_id
    service_id = latest_entity(tracker, "service")
    if service_id:
        return (await client.get_service(service_id))["office"]["id"]
    if tracker.get_slot("office"):
        return tracker.get_slot("office")
    if tracker.get_slot("service"):
        return (await client.get_service(tracker.get_slot("service")))["office"]["id"]
    return None


async def answer_office(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, client: BackendClient
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
        text = opening_hours_answer(office, datetime.now(ZoneInfo(get_settings().timezone)))
        other = button("Adresse und Anfahrt", "ask_office_location", {"office": office_id})
    dispatcher.utter_message(text=text, buttons=[other])
    return [SlotSet("office", office_id), SlotSet("pending_intent", None)]


class ActionAnswerOffice(Action):
    def name(self) -> str:
        return "action_answer_office"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = latest_intent(tracker)
        if intent not in OFFICE_INTENTS:
            intent = "ask_opening_hours"
        return await answer_office(dispatcher, tracker, intent, get_backend_client())
