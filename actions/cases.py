"""Case status: a form that asks for the case number, then the access code, and checks both.

Nothing about a case is said before the code matches; an unknown number and a wrong code get
the same reply. The access code never stays in a slot: the validation checks it against the
backend and keeps only the marker "verified".
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend_action import WithBackend
from actions.clients.backend import BackendUnavailable, CaseLocked, CaseNotVerified
from actions.formatting import BACKEND_DOWN, case_status_answer, minutes_text
from actions.settings import get_settings
from actions.tracker_utils import latest_entity, latest_intent, latest_text
from bot.core.case_number import normalize_case_number

logger = logging.getLogger(__name__)

VERIFIED = "verified"
# Intents that interrupt the form; rules handle them, so their text is not taken as a value.
INTERRUPTIONS = {"deny", "help", "human_handoff", "goodbye", "out_of_scope", "bot_challenge", "complain"}
_ACCESS_CODE = re.compile(r"[A-Za-z0-9]{4,12}")

WRONG = (
    "Aktenzeichen oder Zugangscode stimmen nicht. Bitte prüfen Sie beides auf Ihrer "
    "Eingangsbestätigung und geben Sie zuerst das Aktenzeichen noch einmal ein."
)
BAD_NUMBER = (
    "Das sieht nicht wie ein Aktenzeichen aus. Es besteht aus zwei oder drei Buchstaben, "
    "der Jahreszahl und sechs Ziffern, zum Beispiel BA-2025-004711."
)
BAD_CODE = (
    "Der Zugangscode besteht aus Buchstaben und Ziffern, zum Beispiel AB3D7GH9KM. Bitte geben Sie ihn noch einmal ein."
)


def conversation_locked_for(tracker: Tracker, now: float) -> float:
    """Seconds this conversation may not check cases any more (0 when it may)."""
    until = tracker.get_slot("case_check_locked_until") or 0
    return max(0.0, until - now)


def locked_message(seconds: float) -> str:
    return (
        f"Es gab zu viele Fehlversuche. Aus Sicherheitsgründen ist die Abfrage für {minutes_text(seconds)} "
        "gesperrt. Bitte versuchen Sie es danach erneut oder wenden Sie sich an das Bürgertelefon 115."
    )


def plausible_access_code(text: str) -> str | None:
    compact = "".join(text.split())
    return compact.upper() if _ACCESS_CODE.fullmatch(compact) else None


def looks_like_printed_code(text: str) -> bool:
    code = plausible_access_code(text)
    return code is not None and any(c.isdigit() for c in code) and any(c.isalpha() for c in code)


class ValidateCaseStatusForm(WithBackend, FormValidationAction):
    def name(self) -> str:
        return "validate_case_status_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if conversation_locked_for(tracker, time.time()) or tracker.get_slot("case_check_result") in (
            "locked",
            "unavailable",
        ):
            return []  # ends the form; action_case_status_done explains why
        return domain_slots

    async def extract_case_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if (
            tracker.get_slot("requested_slot") != "case_number"
            or latest_entity(tracker, "case_number")
            or latest_intent(tracker) in INTERRUPTIONS
        ):
            return {}
        return {"case_number": latest_text(tracker).strip()[:60]}

    def validate_case_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        normalized = normalize_case_number(str(value or ""))
        if normalized is None:
            dispatcher.utter_message(text=BAD_NUMBER)
        return {"case_number": normalized}

    async def extract_access_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "access_code":
            return {}
        text = latest_text(tracker)
        # A printed code (letters and digits) is a code whatever intent the NLU guessed for it.
        if latest_intent(tracker) in INTERRUPTIONS and not looks_like_printed_code(text):
            return {}
        return {"access_code": text[:60]}

    async def validate_access_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == VERIFIED:
            return {}
        code = plausible_access_code(str(value or ""))
        if code is None:
            dispatcher.utter_message(text=BAD_CODE)
            return {"access_code": None}
        settings = get_settings()
        now = time.time()
        failures = int(tracker.get_slot("case_check_failures") or 0)
        if (tracker.get_slot("case_check_locked_until") or 0) and not conversation_locked_for(tracker, now):
            failures = 0  # an expired lock starts afresh
        reset = {"access_code": None, "case_number": None}
        try:
            case = await self.backend.check_case(tracker.get_slot("case_number"), code)
        except CaseNotVerified:
            failures += 1
            logger.info("case check failed in conversation %s (%d)", tracker.sender_id, failures)
            if failures >= settings.case_check_max_failures:
                seconds = settings.case_check_lock_minutes * 60
                dispatcher.utter_message(text=locked_message(seconds))
                return {
                    **reset,
                    "case_check_failures": 0,
                    "case_check_locked_until": now + seconds,
                    "case_check_result": "locked",
                }
            dispatcher.utter_message(text=WRONG)
            return {**reset, "case_check_failures": failures, "case_check_result": "failed"}
        except CaseLocked as exc:
            dispatcher.utter_message(text=locked_message(exc.retry_after_seconds))
            return {**reset, "case_check_result": "locked"}
        except BackendUnavailable:
            logger.exception("backend unavailable during case check")
            dispatcher.utter_message(text=BACKEND_DOWN)
            return {**reset, "case_check_result": "unavailable"}
        dispatcher.utter_message(text=case_status_answer(case))
        return {
            "access_code": VERIFIED,
            "case_check_result": VERIFIED,
            "case_check_failures": 0,
            "case_check_locked_until": None,
        }


class ActionCaseStatusDone(Action):
    """Runs when the form ends: clears the case slots so nothing lingers in the conversation."""

    def name(self) -> str:
        return "action_case_status_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        result = tracker.get_slot("case_check_result")
        locked_for = conversation_locked_for(tracker, time.time())
        if result is None and locked_for:
            dispatcher.utter_message(text=locked_message(locked_for))
        elif result == VERIFIED:
            dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("case_number", None), SlotSet("access_code", None), SlotSet("case_check_result", None)]
