"""Appointments: where and how to book or cancel, per service (online booking comes later)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_action import WithBackend
from actions.clients.backend import BackendUnavailable, NotFoundInBackend
from actions.tracker_utils import latest_entity, latest_intent

logger = logging.getLogger(__name__)

BOOKING_URL = "https://www.musterstadt.de/termine"


class ActionAppointmentInfo(WithBackend, Action):
    def name(self) -> str:
        return "action_appointment_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        service_id = latest_entity(tracker, "service") or tracker.get_slot("service")
        if latest_intent(tracker) == "cancel_appointment":
            dispatcher.utter_message(
                text=(
                    "Einen Termin sagen Sie über den Link in Ihrer Terminbestätigung ab, "
                    f"unter {BOOKING_URL} oder beim Bürgertelefon 115. "
                    "Bitte sagen Sie ab, damit andere den Termin nutzen können."
                )
            )
            return []
        if service_id:
            try:
                service = await self.backend.get_service(service_id)
            except (BackendUnavailable, NotFoundInBackend):
                logger.exception("no service data for appointment answer")
            else:
                need = (
                    "Dafür brauchen Sie einen Termin"
                    if service["appointment_required"]
                    else "Dafür brauchen Sie keinen Termin, ein Termin spart aber Wartezeit"
                )
                dispatcher.utter_message(
                    text=f"{service['name']}: {need} ({service['office']['name']}). "
                    f"Termine buchen Sie unter {BOOKING_URL} oder beim Bürgertelefon 115."
                )
                return [SlotSet("service", service_id)]
        dispatcher.utter_message(
            text=f"Termine buchen Sie online unter {BOOKING_URL} oder beim Bürgertelefon 115 (Mo–Fr 8–18 Uhr)."
        )
        return []
