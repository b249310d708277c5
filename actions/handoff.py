"""The bot's side of the human handoff: say that a person can help and mark the message.

Rasa only decides *that* a person is offered; the gateway turns the `handoff_offer` marker into
the offer itself (buttons, service hours, callback, the 115 fallback), see docs/handoff.md. So
the action sends one short text and the marker, never buttons.

`human_handoff` and "not understood twice" always offer; any other intent only when it is in the
staff rule `BUERGERBOT_HANDOFF_OFFER_INTENTS` (default `complain`), otherwise its old response
(`utter_complain`) answers as before.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.settings import get_settings
from actions.tracker_utils import latest_intent

HUMAN_HANDOFF = "human_handoff"
NOT_UNDERSTOOD = "not_understood"
ALWAYS_OFFERED = frozenset({HUMAN_HANDOFF, NOT_UNDERSTOOD})
# Intents that mean the bot did not understand: the offer's reason is then "not_understood".
NOT_UNDERSTOOD_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})

OFFER_TEXTS = {
    HUMAN_HANDOFF: "Gern verbinde ich Sie mit einer Mitarbeiterin oder einem Mitarbeiter.",
    "complain": (
        "Es tut mir leid, dass Sie unzufrieden sind. Ihre Beschwerde nimmt gern eine Mitarbeiterin "
        "oder ein Mitarbeiter entgegen."
    ),
    NOT_UNDERSTOOD: "Ich verstehe Sie leider nicht. Eine Mitarbeiterin oder ein Mitarbeiter hilft Ihnen gern weiter.",
}
# For an intent a staff rule adds without a text of its own.
OTHER_OFFER_TEXT = "Dabei hilft Ihnen gern eine Mitarbeiterin oder ein Mitarbeiter."


def parse_offer_intents(value: str) -> frozenset[str]:
    """The staff rule's comma-separated intent names (blanks and empty items ignored)."""
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def offer_reason(intent: str | None) -> str:
    """Why a person is offered: the intent, or `not_understood` when there is none to go by."""
    if not intent or intent in NOT_UNDERSTOOD_INTENTS:
        return NOT_UNDERSTOOD
    return intent


# What an intent got before there was a handoff, said when the staff rule does not offer a person.
OWN_RESPONSES = {"complain": "utter_complain"}


def offers_handoff(reason: str, offer_intents: Collection[str]) -> bool:
    return reason in ALWAYS_OFFERED or reason in offer_intents


def response_instead(reason: str, offer_intents: Collection[str]) -> str | None:
    """The response to say instead of the offer, or None to offer. An intent the staff rule leaves
    out and that has no response of its own (a rule sent it here all the same) is offered."""
    if offers_handoff(reason, offer_intents):
        return None
    return OWN_RESPONSES.get(reason)


def offer_text(reason: str) -> str:
    return OFFER_TEXTS.get(reason, OTHER_OFFER_TEXT)


def offer_marker(reason: str, service: str | None) -> dict[str, Any]:
    """The custom payload the gateway turns into the offer."""
    return {"handoff_offer": {"reason": reason, "service": service or None}}


def send_offer(dispatcher: CollectingDispatcher, reason: str, service: str | None) -> None:
    """The offer's two messages: the text, then the marker (no buttons: the gateway adds them)."""
    dispatcher.utter_message(text=offer_text(reason))
    dispatcher.utter_message(json_message=offer_marker(reason, service))


class ActionOfferHandoff(Action):
    def name(self) -> str:
        return "action_offer_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        reason = offer_reason(latest_intent(tracker))
        response = response_instead(reason, parse_offer_intents(get_settings().handoff_offer_intents))
        if response:
            dispatcher.utter_message(response=response)
        else:
            send_offer(dispatcher, reason, tracker.get_slot("service"))
        return []
