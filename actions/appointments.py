"""Appointments in the chat: the booking form, and the form that cancels or moves a booking.

Booking (`appointment_form`): service → office (buttons, when several give it) → preferred day and
time in words (bot.core.appointment_time; an unreadable phrase is asked back, never guessed) → the
nearest free slots (three buttons and "Später"; picking one places a hold) → name → e-mail →
summary with the absolute date → "Ja" confirms the hold (an idempotency key of conversation and
hold: a repeated confirmation books once). `appointment_result` ends the form early (no
appointment needed, nothing free, backend down) and says why in `action_appointment_done`.

Cancelling or moving (`cancel_appointment_form`): e-mail address → booking code (a secret prompt:
the gateway never keeps it in clear) → cancel or move (buttons; moving picks a new slot as in
booking). The code never stays in a slot: it is checked against the backend and kept for a few
minutes in the action server's memory only (`VerifiedBookings`), for the move.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import appointment_flow as flow
from actions.backend_action import WithBackend
from actions.clients.backend import (
    ID_PATTERN,
    AppointmentRefused,
    BackendApi,
    BackendUnavailable,
    NotFoundInBackend,
)
from actions.formatting import BACKEND_DOWN, minutes_text
from actions.services import POPULAR_SERVICES, is_clear_match, resolution_of
from actions.settings import get_settings
from actions.tracker_utils import latest_entity, latest_intent, latest_text
from bot.core.appointment_time import BERLIN, Preference, Unreadable, parse_preference
from bot.core.contact import InvalidContact, parse_email, parse_name

logger = logging.getLogger(__name__)

BOOKING_SLOTS = (
    "appointment_service",
    "appointment_office",
    "appointment_when",
    "appointment_slot",
    "appointment_name",
    "appointment_email",
    "appointment_confirmed",
)
# Every slot either form uses; action_appointment_done clears them all.
ALL_SLOTS = (
    *BOOKING_SLOTS,
    "appointment_offices",
    "appointment_offset",
    "appointment_result",
    "appointment_code",
    "appointment_action",
)
# Intents that break off the form (data/rules.yml). Unlike the case-status form, a free answer the NLU
# calls out_of_scope, complain or bot_challenge (a name, a time in words) is still taken as the answer.
FORM_INTERRUPTIONS = frozenset({"deny", "help", "human_handoff", "goodbye"})
ASK_SERVICE = "Für welche Leistung möchten Sie einen Termin? Wählen Sie aus oder schreiben Sie den Namen."
_VERIFIED = flow.VerifiedBookings()


def now_in_berlin() -> datetime:
    return datetime.now(BERLIN)


def _requested(tracker: Tracker, slot: str) -> bool:
    return bool(tracker.get_slot("requested_slot") == slot)


def _answer_to(tracker: Tracker, slot: str, readable: Callable[[str], bool] | None = None) -> str | None:
    """The citizen's latest text as the answer to `slot`, when the form asked for it and the
    message is not an interruption (those rules handle) — or is, but `readable` reads it as an
    answer anyway ("so bald wie möglich" may look like a goodbye to the NLU)."""
    text = latest_text(tracker).strip()[:500]
    if not _requested(tracker, slot) or not text:
        return None
    if latest_intent(tracker) in FORM_INTERRUPTIONS and not (readable and readable(text)):
        return None
    return text


def reads_as_time(text: str) -> bool:
    return isinstance(parse_preference(text, now_in_berlin()), Preference)


def _service_buttons() -> list[dict[str, str]]:
    return [{"title": title, "payload": flow.payload("inform", {"service": sid})} for title, sid in POPULAR_SERVICES]


async def offices_for(client: BackendApi, service_id: str, office_id: str) -> list[dict[str, Any]]:
    """The offices that give appointments for the service: the catalogue's office first, then every
    other office whose calendar has the service (the backend has no list of them: each is asked
    for one slot; 422 office_not_for_service means it does not give the service)."""
    offices = await client.list_offices()

    async def offers(office: dict[str, Any]) -> bool:
        try:
            await client.find_slots(service_id, {"office": office["id"], "limit": 1})
        except (AppointmentRefused, NotFoundInBackend):
            return False
        return True

    found = await asyncio.gather(*(offers(o) for o in offices))
    given = [{"id": o["id"], "name": o["name"]} for o, ok in zip(offices, found, strict=True) if ok]
    return sorted(given, key=lambda o: o["id"] != office_id)


async def free_slots(
    client: BackendApi, service_id: str, office_id: str | None, preference: Preference, now: datetime
) -> list[dict[str, Any]]:
    answer = await client.find_slots(service_id, flow.slot_query(preference, now.astimezone(BERLIN).date(), office_id))
    return list(answer.get("slots") or [])


class SlotPicking(WithBackend):
    """Choosing a slot and holding it, shared by booking and moving."""

    clock = staticmethod(now_in_berlin)

    async def ask_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, service_id: str, office_id: str | None
    ) -> list[EventType]:
        preference = flow.preference_from_slot(tracker.get_slot("appointment_when"))
        if preference is None:
            dispatcher.utter_message(text=flow.ASK_WHEN)
            return [SlotSet("appointment_when", None)]
        offset = int(tracker.get_slot("appointment_offset") or 0)
        try:
            slots = await free_slots(self.backend, service_id, office_id, preference, self.clock())
        except (BackendUnavailable, AppointmentRefused, NotFoundInBackend):
            logger.exception("slot search failed for %s", service_id)
            dispatcher.utter_message(text=BACKEND_DOWN)
            return [SlotSet("appointment_result", "unavailable")]
        if offset >= len(slots):
            dispatcher.utter_message(
                text="Weitere freie Termine zu Ihrem Wunsch habe ich nicht. " + flow.ASK_WHEN,
            )
            return [SlotSet("appointment_when", None), SlotSet("appointment_offset", 0)]
        intro = "Diese Termine sind frei:" if offset == 0 else "Weitere freie Termine:"
        dispatcher.utter_message(
            text=intro + " Bitte wählen Sie einen aus.", buttons=flow.slot_buttons(slots, offset, office_id is None)
        )
        return []

    async def hold_pick(
        self, value: str, dispatcher: CollectingDispatcher, tracker: Tracker, service_id: str
    ) -> dict[str, Any]:
        """The picked slot held; "Später" the next page; anything else asked again."""
        if value == flow.LATER:
            offset = int(tracker.get_slot("appointment_offset") or 0) + flow.SLOTS_PER_PAGE
            return {"appointment_slot": None, "appointment_offset": offset}
        pick = flow.parse_pick(value)
        if pick is None:
            dispatcher.utter_message(text="Bitte wählen Sie einen der Termine über die Schaltflächen aus.")
            return {"appointment_slot": None}
        office_id, start = pick
        try:
            hold = await self.backend.place_hold(service_id, office_id, start, flow.client_key(tracker.sender_id))
        except AppointmentRefused as refused:
            if refused.code == "slot_taken":
                dispatcher.utter_message(text="Dieser Termin ist leider gerade vergeben worden.")
                return {"appointment_slot": None, "appointment_offset": 0}
            if refused.code == "too_many_holds":
                dispatcher.utter_message(text=refused.detail)
                return {"appointment_slot": None, "appointment_result": "refused"}
            logger.warning("hold refused: %s", refused.code)
            dispatcher.utter_message(text=refused.detail or "Dieser Termin ist leider nicht möglich.")
            return {"appointment_slot": None, "appointment_offset": 0}
        except (BackendUnavailable, NotFoundInBackend):
            logger.exception("hold failed for %s", service_id)
            dispatcher.utter_message(text=BACKEND_DOWN)
            return {"appointment_slot": None, "appointment_result": "unavailable"}
        return {"appointment_slot": flow.hold_to_slot(hold)}

    async def extract_appointment_when(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = _answer_to(tracker, "appointment_when", reads_as_time)
        return {"appointment_when": answer} if answer else {}

    async def extract_appointment_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _requested(tracker, "appointment_slot"):
            return {}
        pick = latest_entity(tracker, "appointment_pick")
        if pick:
            return {"appointment_slot": pick}
        answer = _answer_to(tracker, "appointment_slot")
        if answer and answer.lower().startswith("sp"):  # "später" typed
            return {"appointment_slot": flow.LATER}
        return {"appointment_slot": "?"} if answer else {}

    async def validate_appointment_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, dict):
            return {"appointment_slot": value}
        return await self.hold_pick(str(value or ""), dispatcher, tracker, str(tracker.get_slot("appointment_service")))

    # --- name and e-mail ---

    def validate_appointment_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"appointment_email": parse_email(str(value or ""))}
        except InvalidContact as invalid:
            dispatcher.utter_message(text=str(invalid))
            return {"appointment_email": None}

    # --- confirmation ---

    async def read_when(
        self, value: Any, dispatcher: CollectingDispatcher, service_id: str, office_id: str | None
    ) -> dict[str, Any]:
        """The preferred time: parsed, and checked that something is free at all in 4 weeks."""
        if isinstance(value, dict):
            return {"appointment_when": value}
        now = self.clock()
        preference = parse_preference(str(value or ""), now)
        if isinstance(preference, Unreadable):
            dispatcher.utter_message(text=preference.question)
            return {"appointment_when": None}
        try:
            if await free_slots(self.backend, service_id, office_id, preference, now):
                return {"appointment_when": flow.preference_to_slot(preference), "appointment_offset": 0}
            anytime = Preference(now.astimezone(BERLIN).date(), asap=True)
            if await free_slots(self.backend, service_id, office_id, anytime, now):
                dispatcher.utter_message(
                    text="Zu Ihrem Wunsch ist leider nichts frei. Das sind die nächsten freien Termine."
                )
                return {"appointment_when": flow.preference_to_slot(anytime), "appointment_offset": 0}
        except (BackendUnavailable, AppointmentRefused, NotFoundInBackend):
            logger.exception("slot search failed for %s", service_id)
            dispatcher.utter_message(text=BACKEND_DOWN)
            return {"appointment_result": "unavailable"}
        return {"appointment_when": None, "appointment_result": "no_slots"}


class ValidateAppointmentForm(SlotPicking, FormValidationAction):
    def name(self) -> str:
        return "validate_appointment_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("appointment_result"):
            return []  # ends the form; action_appointment_done says why
        return list(BOOKING_SLOTS)

    # --- service ---

    async def extract_appointment_service(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("appointment_service"):
            return {}
        entity = latest_entity(tracker, "service")
        if entity:
            return {"appointment_service": entity}
        if tracker.get_slot("requested_slot") is None:  # the form starts: what the citizen asked about
            resolution = resolution_of(tracker)
            if resolution and resolution["decision"] in ("answer", "choose"):
                return {"appointment_service": "?" + latest_text(tracker)[:500]}
            topic = tracker.get_slot("service")
            return {"appointment_service": topic} if topic else {}
        answer = _answer_to(tracker, "appointment_service")
        return {"appointment_service": "?" + answer} if answer else {}

    async def validate_appointment_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        try:
            service_id = await self._service_id(text, dispatcher, tracker)
            if service_id is None:
                return {"appointment_service": None}
            service = await self.backend.get_service(service_id)
            if service.get("appointment", "required" if service["appointment_required"] else "none") == "none":
                online = (
                    f" Sie können sie online erledigen: {service['online_url']}" if service.get("online_url") else ""
                )
                dispatcher.utter_message(
                    text=f"Für {service['name']} brauchen Sie keinen Termin.{online}",
                )
                return {"appointment_service": service_id, "appointment_result": "no_appointment"}
            offices = await offices_for(self.backend, service_id, service["office"]["id"])
        except NotFoundInBackend:
            dispatcher.utter_message(
                text="Diese Leistung kenne ich leider nicht. " + ASK_SERVICE, buttons=_service_buttons()
            )
            return {"appointment_service": None}
        except (BackendUnavailable, AppointmentRefused):
            logger.exception("backend unavailable while starting a booking")
            dispatcher.utter_message(text=BACKEND_DOWN)
            return {"appointment_service": None, "appointment_result": "unavailable"}
        result: dict[str, Any] = {"appointment_service": service_id, "appointment_offices": offices}
        if len(offices) == 1:
            result["appointment_office"] = offices[0]["id"]
        if not offices:
            dispatcher.utter_message(text=flow.WAITING_LIST)
            result["appointment_result"] = "no_slots"
        return result

    async def _service_id(self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
        if not text.startswith("?"):
            return text if ID_PATTERN.fullmatch(text) else None
        resolution = resolution_of(tracker)
        candidates: list[dict[str, Any]] = []
        if resolution is not None:
            candidates = [c for c in resolution.get("candidates") or [] if c.get("id") and c.get("name")]
            if resolution["decision"] == "answer" and candidates:
                return str(candidates[0]["id"])
            if resolution["decision"] != "choose":
                candidates = []
        else:
            matches = await self.backend.search_services(text[1:])
            if is_clear_match(matches):
                return str(matches[0]["id"])
            candidates = matches
        if candidates:
            dispatcher.utter_message(
                text="Meinen Sie eine dieser Leistungen?",
                buttons=[
                    {"title": c["name"], "payload": flow.payload("inform", {"service": c["id"]})} for c in candidates
                ],
            )
        else:
            dispatcher.utter_message(
                text="Diese Leistung habe ich nicht gefunden. " + ASK_SERVICE, buttons=_service_buttons()
            )
        return None

    # --- office ---

    async def extract_appointment_office(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        chosen = latest_entity(tracker, "appointment_office") or latest_entity(tracker, "office")
        if chosen and (_requested(tracker, "appointment_office") or tracker.get_slot("requested_slot") is None):
            return {"appointment_office": chosen}
        answer = _answer_to(tracker, "appointment_office")
        return {"appointment_office": "?" + answer} if answer else {}

    def validate_appointment_office(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        offices = tracker.get_slot("appointment_offices") or []
        text = str(value or "")
        chosen = [
            o for o in offices if o["id"] == text or (text.startswith("?") and text[1:].lower() in o["name"].lower())
        ]
        if len(chosen) == 1:
            return {"appointment_office": chosen[0]["id"], "appointment_offset": 0}
        if offices:  # not one of those offices (the form asks again with the buttons)
            dispatcher.utter_message(text="Bitte wählen Sie eine der Dienststellen aus.")
        return {"appointment_office": None}

    # --- day and time ---

    async def validate_appointment_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        service_id = str(tracker.get_slot("appointment_service"))
        office_id = tracker.get_slot("appointment_office")
        result = await self.read_when(value, dispatcher, service_id, office_id)
        if result.get("appointment_result") == "no_slots":
            return await self._nothing_free(dispatcher, tracker, service_id, office_id)
        return result

    async def _nothing_free(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, service_id: str, office_id: str | None
    ) -> dict[str, Any]:
        """No free slot in 4 weeks at this office: other offices with free slots, else waiting list / 115."""
        others = [o for o in tracker.get_slot("appointment_offices") or [] if o["id"] != office_id]
        anytime = Preference(self.clock().astimezone(BERLIN).date(), asap=True)
        free: list[dict[str, Any]] = []
        for office in others:
            try:
                if await free_slots(self.backend, service_id, office["id"], anytime, self.clock()):
                    free.append(office)
            except (BackendUnavailable, AppointmentRefused, NotFoundInBackend):
                logger.warning("slot search failed at office %s", office["id"])
        if free:
            dispatcher.utter_message(
                text="Hier ist in den nächsten 4 Wochen leider kein Termin frei. "
                "Bei diesen Dienststellen gibt es noch Termine:",
                buttons=flow.office_buttons(free),
            )
            return {"appointment_when": None, "appointment_office": None, "appointment_offices": free}
        dispatcher.utter_message(text=flow.WAITING_LIST)
        return {"appointment_when": None, "appointment_result": "no_slots"}

    # --- slot ---

    async def extract_appointment_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = _answer_to(tracker, "appointment_name")
        return {"appointment_name": answer} if answer else {}

    def validate_appointment_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            return {"appointment_name": parse_name(str(value or ""))}
        except InvalidContact as invalid:
            dispatcher.utter_message(text=str(invalid))
            return {"appointment_name": None}

    async def extract_appointment_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = _answer_to(tracker, "appointment_email") if "@" not in latest_text(tracker) else None
        if _requested(tracker, "appointment_email") and "@" in latest_text(tracker):
            answer = latest_text(tracker).strip()[:500]  # an address is an address whatever the NLU guessed
        return {"appointment_email": answer} if answer else {}

    async def extract_appointment_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _requested(tracker, "appointment_confirmed"):
            return {}
        if latest_intent(tracker) == "affirm":
            return {"appointment_confirmed": flow.YES}
        answer = _answer_to(tracker, "appointment_confirmed")
        return {"appointment_confirmed": "?"} if answer else {}

    async def validate_appointment_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value != flow.YES:
            dispatcher.utter_message(text="Bitte antworten Sie mit „Ja“ zum Buchen oder „Nein“ zum Abbrechen.")
            return {"appointment_confirmed": None}
        held = tracker.get_slot("appointment_slot") or {}
        name, email = tracker.get_slot("appointment_name"), tracker.get_slot("appointment_email")
        key = flow.idempotency_key(tracker.sender_id, held["hold_id"])
        try:
            booking = await self.backend.confirm_hold(held["hold_id"], name, email, key)
        except NotFoundInBackend:  # the hold expired
            dispatcher.utter_message(
                text="Die Reservierung ist leider abgelaufen. Bitte wählen Sie den Termin noch einmal."
            )
            return {"appointment_confirmed": None, "appointment_slot": None, "appointment_offset": 0}
        except AppointmentRefused as refused:
            logger.info("confirm refused in %s: %s", tracker.sender_id, refused.code)
            dispatcher.utter_message(text=refused.detail or "Die Buchung ist leider nicht möglich.")
            if refused.code in ("slot_taken", "hold_already_used"):
                return {"appointment_confirmed": None, "appointment_slot": None, "appointment_offset": 0}
            return {"appointment_result": "refused"}
        except BackendUnavailable:
            logger.exception("confirm failed")
            dispatcher.utter_message(text=BACKEND_DOWN)
            return {"appointment_confirmed": None}
        dispatcher.utter_message(text=flow.booked_text(booking, get_settings().public_base_url))
        dispatcher.utter_message(json_message=flow.ics_attachment(booking))
        return {"appointment_confirmed": flow.YES, "appointment_result": "booked"}


class ActionAskAppointmentService(Action):
    def name(self) -> str:
        return "action_ask_appointment_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        # Asked again, the validation has just said what to choose: only the form's first question here.
        resolution = resolution_of(tracker) or {}
        if latest_intent(tracker) == "book_appointment" and resolution.get("decision") not in ("answer", "choose"):
            dispatcher.utter_message(text=ASK_SERVICE, buttons=_service_buttons())
        return []


class ActionAskAppointmentOffice(Action):
    def name(self) -> str:
        return "action_ask_appointment_office"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        offices = tracker.get_slot("appointment_offices") or []
        dispatcher.utter_message(
            text="Bei welcher Dienststelle möchten Sie den Termin?", buttons=flow.office_buttons(offices)
        )
        return []


class ActionAskAppointmentWhen(Action):
    def name(self) -> str:
        return "action_ask_appointment_when"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=flow.ASK_WHEN)
        return []


class ActionAskAppointmentSlot(SlotPicking, Action):
    def name(self) -> str:
        return "action_ask_appointment_slot"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        service_id = str(tracker.get_slot("appointment_service"))
        return await self.ask_slot(dispatcher, tracker, service_id, tracker.get_slot("appointment_office"))


class ActionAskAppointmentName(Action):
    def name(self) -> str:
        return "action_ask_appointment_name"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        held = tracker.get_slot("appointment_slot") or {}
        if held.get("label"):
            dispatcher.utter_message(text=f"Ich halte den Termin am {held['label']} einige Minuten für Sie frei.")
        dispatcher.utter_message(text=flow.ASK_NAME)
        return []


class ActionAskAppointmentEmail(Action):
    def name(self) -> str:
        return "action_ask_appointment_email"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        moving = tracker.active_loop.get("name") == "cancel_appointment_form"
        dispatcher.utter_message(text=flow.ASK_EMAIL_OF_BOOKING if moving else flow.ASK_EMAIL)
        return []


class ActionAskAppointmentConfirmed(Action):
    def name(self) -> str:
        return "action_ask_appointment_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        held = tracker.get_slot("appointment_slot") or {}
        if tracker.active_loop.get("name") == "cancel_appointment_form":
            text = f"Soll ich Ihren Termin auf {held.get('label')}, {held.get('office_name')} verschieben?"
        else:
            text = flow.summary_text(
                held, str(tracker.get_slot("appointment_name")), str(tracker.get_slot("appointment_email"))
            )
        dispatcher.utter_message(
            text=text, buttons=[{"title": "Ja", "payload": "/affirm"}, {"title": "Nein", "payload": "/deny"}]
        )
        return []


# --- cancelling and moving ---

CANCEL_SLOTS = ("appointment_email", "appointment_code", "appointment_action")
MOVE_SLOTS = ("appointment_when", "appointment_slot", "appointment_confirmed")


class ValidateCancelAppointmentForm(SlotPicking, FormValidationAction):
    def name(self) -> str:
        return "validate_cancel_appointment_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if tracker.get_slot("appointment_result"):
            return []
        if tracker.get_slot("appointment_action") == "move":
            return [*CANCEL_SLOTS, *MOVE_SLOTS]
        return list(CANCEL_SLOTS)

    async def extract_appointment_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _requested(tracker, "appointment_email"):
            return {}
        return {"appointment_email": latest_text(tracker).strip()[:500]} if latest_text(tracker).strip() else {}

    async def extract_appointment_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _requested(tracker, "appointment_code"):
            return {}
        text = latest_text(tracker)
        # A printed code is a code whatever intent the NLU guessed for it.
        if latest_intent(tracker) in FORM_INTERRUPTIONS and flow.normalize_code(text) is None:
            return {}
        return {"appointment_code": text[:60]}

    async def validate_appointment_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == flow.VERIFIED:
            return {}
        code = flow.normalize_code(str(value or ""))
        if code is None:
            dispatcher.utter_message(text=flow.BAD_CODE)
            return {"appointment_code": None}
        email = str(tracker.get_slot("appointment_email"))
        try:
            booking = await self.backend.find_booking(code, email)
        except AppointmentRefused as refused:
            return self._refused(refused, dispatcher, tracker)
        except (BackendUnavailable, NotFoundInBackend):
            logger.exception("booking look-up failed")
            dispatcher.utter_message(text=BACKEND_DOWN)
            return {"appointment_code": None, "appointment_result": "unavailable"}
        if booking["status"] != "booked":
            dispatcher.utter_message(text="Dieser Termin ist bereits abgesagt.")
            return {"appointment_code": flow.VERIFIED, "appointment_result": "not_changeable"}
        _VERIFIED.put(tracker.sender_id, code, email)
        dispatcher.utter_message(text=flow.booking_found_text(booking))
        return {
            "appointment_code": flow.VERIFIED,
            "appointment_service": booking["service"]["id"],
            "appointment_office": booking["office"]["id"],
        }

    def _refused(
        self, refused: AppointmentRefused, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        logger.info("booking look-up refused in %s: %s", tracker.sender_id, refused.code)
        if refused.code == "booking_locked" or refused.status == 423:
            seconds = refused.retry_after_seconds or 900
            dispatcher.utter_message(
                text="Es gab zu viele Fehlversuche. Aus Sicherheitsgründen ist die Abfrage für "
                f"{minutes_text(seconds)} gesperrt. Bitte versuchen Sie es danach erneut oder rufen Sie "
                "das Bürgertelefon 115 an."
            )
            return {"appointment_code": None, "appointment_email": None, "appointment_result": "locked"}
        left = refused.attempts_left
        hint = f" Sie haben noch {left} Versuche." if left and left > 0 else ""
        dispatcher.utter_message(
            text="Buchungscode oder E-Mail-Adresse stimmen leider nicht. Bitte prüfen Sie beides in Ihrer "
            f"Terminbestätigung.{hint} Geben Sie zuerst die E-Mail-Adresse noch einmal ein."
        )
        return {"appointment_code": None, "appointment_email": None}

    async def extract_appointment_action(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        chosen = latest_entity(tracker, "appointment_action")
        if chosen:
            return {"appointment_action": chosen}
        answer = _answer_to(tracker, "appointment_action")
        if answer is None:
            return {}
        lowered = answer.lower()
        if "versch" in lowered or "verleg" in lowered or "ander" in lowered:
            return {"appointment_action": "move"}
        if "absag" in lowered or "storn" in lowered:
            return {"appointment_action": "cancel"}
        return {"appointment_action": "?"}

    async def validate_appointment_action(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value not in ("cancel", "move"):
            return {"appointment_action": None}
        if tracker.get_slot("appointment_code") != flow.VERIFIED:
            return {"appointment_action": value}  # decided later, once the code matched
        if value == "move":
            return {"appointment_action": "move", "appointment_offset": 0}
        verified = _VERIFIED.get(tracker.sender_id)
        if verified is None:
            dispatcher.utter_message(text="Bitte geben Sie Ihren Buchungscode noch einmal ein.")
            return {"appointment_action": "cancel", "appointment_code": None}
        try:
            booking = await self.backend.cancel_booking(*verified)
        except AppointmentRefused as refused:
            dispatcher.utter_message(text=refused.detail or "Der Termin kann nicht abgesagt werden.")
            return {"appointment_action": "cancel", "appointment_result": "not_changeable"}
        except (BackendUnavailable, NotFoundInBackend):
            logger.exception("cancel failed")
            dispatcher.utter_message(text=BACKEND_DOWN)
            return {"appointment_action": "cancel", "appointment_result": "unavailable"}
        _VERIFIED.drop(tracker.sender_id)
        dispatcher.utter_message(text=flow.cancelled_text(booking))
        return {"appointment_action": "cancel", "appointment_result": "cancelled"}

    async def validate_appointment_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = await self.read_when(
            value, dispatcher, str(tracker.get_slot("appointment_service")), tracker.get_slot("appointment_office")
        )
        if result.get("appointment_result") == "no_slots":
            dispatcher.utter_message(text=flow.WAITING_LIST + " Ihr bisheriger Termin bleibt bestehen.")
        return result

    async def extract_appointment_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _requested(tracker, "appointment_confirmed"):
            return {}
        if latest_intent(tracker) == "affirm":
            return {"appointment_confirmed": flow.YES}
        return {"appointment_confirmed": "?"} if _answer_to(tracker, "appointment_confirmed") else {}

    async def validate_appointment_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value != flow.YES:
            dispatcher.utter_message(text="Bitte antworten Sie mit „Ja“ zum Verschieben oder „Nein“ zum Abbrechen.")
            return {"appointment_confirmed": None}
        held = tracker.get_slot("appointment_slot") or {}
        verified = _VERIFIED.get(tracker.sender_id)
        if verified is None:
            dispatcher.utter_message(
                text="Aus Sicherheitsgründen brauche ich Ihren Buchungscode noch einmal. "
                "Bitte beginnen Sie neu mit „Termin verschieben“."
            )
            return {"appointment_result": "expired"}
        try:
            booking = await self.backend.move_booking(verified[0], verified[1], held["hold_id"])
        except NotFoundInBackend:
            dispatcher.utter_message(
                text="Die Reservierung ist leider abgelaufen. Bitte wählen Sie den Termin noch einmal."
            )
            return {"appointment_confirmed": None, "appointment_slot": None, "appointment_offset": 0}
        except AppointmentRefused as refused:
            dispatcher.utter_message(text=refused.detail or "Das Verschieben ist leider nicht möglich.")
            if refused.code == "slot_taken":
                return {"appointment_confirmed": None, "appointment_slot": None, "appointment_offset": 0}
            return {"appointment_result": "refused"}
        except BackendUnavailable:
            logger.exception("move failed")
            dispatcher.utter_message(text=BACKEND_DOWN)
            return {"appointment_confirmed": None}
        _VERIFIED.drop(tracker.sender_id)
        dispatcher.utter_message(text=flow.moved_text(booking, get_settings().public_base_url))
        dispatcher.utter_message(json_message=flow.ics_attachment(booking))
        return {"appointment_confirmed": flow.YES, "appointment_result": "moved"}


class ActionAskAppointmentCode(Action):
    def name(self) -> str:
        return "action_ask_appointment_code"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        # The secret marker: the gateway flags the citizen's next message and nothing keeps it in clear.
        dispatcher.utter_message(text=flow.ASK_CODE, json_message={"input": "secret"})
        return []


class ActionAskAppointmentAction(Action):
    def name(self) -> str:
        return "action_ask_appointment_action"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(
            text="Möchten Sie den Termin absagen oder verschieben?",
            buttons=[
                {"title": "Absagen", "payload": flow.payload("cancel_appointment", {"appointment_action": "cancel"})},
                {"title": "Verschieben", "payload": flow.payload("cancel_appointment", {"appointment_action": "move"})},
            ],
        )
        return []


class ActionAppointmentDone(Action):
    """Runs when either form ends: says why it ended early, and clears every appointment slot."""

    def name(self) -> str:
        return "action_appointment_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if tracker.get_slot("appointment_result") in ("booked", "cancelled", "moved"):
            dispatcher.utter_message(response="utter_anything_else")
        _VERIFIED.drop(tracker.sender_id)
        return [SlotSet(slot, None) for slot in ALL_SLOTS]


class ActionAppointmentFormCancelled(Action):
    """The citizen broke off ("abbrechen", "nein"): nothing booked or changed; slots cleared."""

    def name(self) -> str:
        return "action_appointment_form_cancelled"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=flow.CANCELLED_FORM)
        _VERIFIED.drop(tracker.sender_id)
        return [SlotSet(slot, None) for slot in ALL_SLOTS]
