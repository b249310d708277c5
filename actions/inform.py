"""The citizen supplied a bare value (service, office or case number): route it to the right answer.

A bare situation or service word the gazetteer does not know ("Umzug", "Angelschein") goes to the
service answer too, which offers the resolver's choice or says the catalogue has nothing."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_action import WithBackend
from actions.formatting import OFFICE_INTENTS, SERVICE_INTENTS
from actions.offices import answer_office
from actions.services import answer_service, resolution_of
from actions.tracker_utils import latest_entity


class ActionHandleInform(WithBackend, Action):
    def name(self) -> str:
        return "action_handle_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        pending = tracker.get_slot("pending_intent")
        if latest_entity(tracker, "case_number"):
            return [FollowupAction("case_status_form")]
        if latest_entity(tracker, "office") or (pending in OFFICE_INTENTS and latest_entity(tracker, "service")):
            intent = pending if pending in OFFICE_INTENTS else "ask_opening_hours"
            return await answer_office(dispatcher, tracker, intent, self.backend)
        resolution = resolution_of(tracker) or {}
        names_service = resolution.get("decision") in ("answer", "choose") or (
            resolution.get("decision") == "none" and resolution.get("names_topic")
        )
        if latest_entity(tracker, "service") or pending in SERVICE_INTENTS or names_service:
            intent = pending if pending in SERVICE_INTENTS else "service_info"
            return await answer_service(dispatcher, tracker, intent, self.backend)
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []
