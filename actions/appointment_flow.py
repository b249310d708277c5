"""Pure parts of booking, moving and cancelling appointments: what to ask the slot search for, the
buttons and the German texts, the keys sent to the backend, and the short-lived store of a verified
booking code. The actions in actions/appointments.py only read slots, call these and the backend."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from actions.clients.backend import SlotQuery
from bot.core.appointment_time import Preference

SLOTS_PER_PAGE = 3
SLOTS_FETCHED = 30  # the "Später" button pages through these
HORIZON_DAYS = 28  # the backend's default search range: 4 weeks
LATER = "later"
YES = "yes"
VERIFIED = "verified"

ASK_WHEN = (
    "Wann passt es Ihnen? Schreiben Sie es einfach in Worten, zum Beispiel „morgen Vormittag“, "
    "„nächsten Dienstag ab 14 Uhr“ oder „so bald wie möglich“."
)
ASK_NAME = "Auf welchen Namen soll ich den Termin buchen? Bitte nennen Sie Vor- und Nachnamen."
ASK_EMAIL = "An welche E-Mail-Adresse soll die Bestätigung gehen?"
ASK_EMAIL_OF_BOOKING = "Mit welcher E-Mail-Adresse haben Sie den Termin gebucht?"
ASK_CODE = "Bitte geben Sie jetzt den Buchungscode aus Ihrer Terminbestätigung ein (10 Zeichen, z. B. K7M2Q9XABC)."
BAD_CODE = (
    "Der Buchungscode besteht aus 10 Buchstaben und Ziffern, zum Beispiel K7M2Q9XABC. "
    "Bitte geben Sie ihn noch einmal ein."
)
WAITING_LIST = (
    "In den nächsten 4 Wochen ist leider kein Termin frei. Eine Warteliste gibt es im Chat noch nicht: "
    "Bitte versuchen Sie es in einigen Tagen noch einmal oder rufen Sie das Bürgertelefon 115 an "
    "(Mo–Fr 8–18 Uhr), dort hilft man Ihnen weiter."
)
CANCELLED_FORM = (
    "In Ordnung, ich habe das abgebrochen. Es wurde nichts gebucht oder geändert. Wie kann ich sonst helfen?"
)


def payload(intent: str, entities: dict[str, str]) -> str:
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


def slot_query(preference: Preference, today: date, office: str | None) -> SlotQuery:
    """The backend's slot filters for a citizen's preference, within the 4-week horizon."""
    first = max(preference.earliest_day, today)
    last = first + timedelta(days=HORIZON_DAYS - 1)
    if preference.latest_day is not None:
        last = min(last, preference.latest_day)
    query: SlotQuery = {"from": first.isoformat(), "to": max(first, last).isoformat(), "limit": SLOTS_FETCHED}
    if office:
        query["office"] = office
    if preference.earliest_time.hour or preference.earliest_time.minute:
        query["after"] = preference.earliest_time.strftime("%H:%M")
    if preference.latest_time is not None:
        query["before"] = preference.latest_time.strftime("%H:%M")
    if len(preference.weekdays) < 7:
        query["weekdays"] = ",".join(str(day) for day in sorted(preference.weekdays))
    return query


def preference_to_slot(preference: Preference) -> dict[str, Any]:
    """A JSON-storable form of the preference, for a slot of the conversation."""
    return {
        "earliest_day": preference.earliest_day.isoformat(),
        "latest_day": preference.latest_day.isoformat() if preference.latest_day else None,
        "earliest_time": preference.earliest_time.strftime("%H:%M"),
        "latest_time": preference.latest_time.strftime("%H:%M") if preference.latest_time else None,
        "weekdays": sorted(preference.weekdays),
        "asap": preference.asap,
    }


def preference_from_slot(value: Any) -> Preference | None:
    from datetime import time as clock

    if not isinstance(value, dict):
        return None
    try:
        return Preference(
            earliest_day=date.fromisoformat(value["earliest_day"]),
            latest_day=date.fromisoformat(value["latest_day"]) if value.get("latest_day") else None,
            earliest_time=clock.fromisoformat(value["earliest_time"]),
            latest_time=clock.fromisoformat(value["latest_time"]) if value.get("latest_time") else None,
            weekdays=frozenset(int(day) for day in value["weekdays"]),
            asap=bool(value.get("asap")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def slot_buttons(slots: list[dict[str, Any]], offset: int, show_office: bool) -> list[dict[str, str]]:
    """At most three slots from `offset` as buttons, and "Später" when more are there."""
    page = slots[offset : offset + SLOTS_PER_PAGE]
    buttons = [
        {
            "title": slot["label"] + (f", {slot['office']['name']}" if show_office else ""),
            "payload": payload("inform", {"appointment_pick": f"{slot['office']['id']}|{slot['start']}"}),
        }
        for slot in page
    ]
    if len(slots) > offset + SLOTS_PER_PAGE:
        buttons.append({"title": "Später", "payload": payload("inform", {"appointment_pick": LATER})})
    return buttons


def parse_pick(value: str) -> tuple[str, str] | None:
    """ "office|start" of a slot button; None for anything else."""
    office, _, start = value.partition("|")
    return (office, start) if office and start else None


def office_buttons(offices: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"title": office["name"], "payload": payload("inform", {"appointment_office": office["id"]})}
        for office in offices
    ]


def hold_to_slot(hold: dict[str, Any]) -> dict[str, str]:
    """What the conversation keeps of a held slot (the hold's id confirms it, nothing personal)."""
    return {
        "hold_id": hold["id"],
        "label": hold["label"],
        "office_id": hold["office"]["id"],
        "office_name": hold["office"]["name"],
        "service_name": hold["service"]["name"],
    }


def summary_text(held: dict[str, str], name: str, email: str) -> str:
    return (
        "Bitte prüfen Sie Ihre Angaben:\n"
        f"{held['service_name']}: {held['label']}, {held['office_name']}\n"
        f"Name: {name}\nE-Mail: {email}\n\n"
        "Soll ich den Termin verbindlich buchen? Ich halte ihn einige Minuten für Sie frei."
    )


def documents_text(documents: list[str]) -> str:
    if not documents:
        return ""
    return "\n\nBitte bringen Sie mit:\n" + "\n".join(f"• {doc}" for doc in documents)


def booked_text(booking: dict[str, Any], public_base_url: str) -> str:
    office = booking["office"]
    where = office["name"] + (f", {office['address']}" if office.get("address") else "")
    return (
        f"Ihr Termin ist gebucht: {booking['service']['name']} am {booking['label']}, {where}.\n"
        f"Ihr Buchungscode: {booking['code']}\n"
        "Bitte notieren Sie ihn: Mit Code und E-Mail-Adresse können Sie den Termin hier verschieben oder absagen. "
        "Eine Bestätigung kommt per E-Mail.\n"
        f"Termin für Ihren Kalender: {ics_link(public_base_url, booking['ics_url'])}"
        + documents_text(list(booking.get("documents") or []))
    )


def moved_text(booking: dict[str, Any], public_base_url: str) -> str:
    return (
        f"Ihr Termin ist verschoben auf {booking['label']}, {booking['office']['name']}. "
        "Ihr Buchungscode bleibt gleich; eine Bestätigung kommt per E-Mail.\n"
        f"Termin für Ihren Kalender: {ics_link(public_base_url, booking['ics_url'])}"
    )


def cancelled_text(booking: dict[str, Any]) -> str:
    return (
        f"Ihr Termin am {booking['label']} ({booking['service']['name']}, {booking['office']['name']}) ist abgesagt. "
        "Danke, dass Sie abgesagt haben: So kann jemand anderes den Termin nutzen."
    )


def booking_found_text(booking: dict[str, Any]) -> str:
    return (
        f"Ich habe Ihren Termin gefunden: {booking['service']['name']} am {booking['label']}, "
        f"{booking['office']['name']}."
    )


def ics_link(public_base_url: str, path: str) -> str:
    """The .ics download on the gateway's public address (the gateway forwards the backend's path)."""
    return public_base_url.rstrip("/") + "/" + path.lstrip("/")


def ics_attachment(booking: dict[str, Any]) -> dict[str, Any]:
    """The marker asking the gateway to send the booking's .ics as a file (Telegram: a document);
    the gateway fetches it from the backend path and never shows the marker itself."""
    return {"attachment": {"path": booking["ics_url"], "filename": "termin.ics", "mime": "text/calendar"}}


def client_key(sender_id: str) -> str:
    """Who holds slots, for the backend's hold limit: a hash of the sender, never the sender itself."""
    return "chat:" + hashlib.sha256(sender_id.encode()).hexdigest()[:24]


def idempotency_key(sender_id: str, hold_id: str) -> str:
    """The same conversation confirming the same hold sends the same key: a repeated "Ja" books once."""
    return "chat-" + hashlib.sha256(f"{sender_id}\n{hold_id}".encode()).hexdigest()


def normalize_code(text: str) -> str | None:
    """A booking code as typed ("k7m2 q9xa bc") in capitals; None when it cannot be one."""
    compact = "".join(ch for ch in text if ch.isalnum()).upper()
    if not compact.isascii() or not 8 <= len(compact) <= 20:
        return None
    if not any(ch.isdigit() for ch in compact) and len(text.split()) > 1:
        return None  # words, not a code
    return compact


@dataclass
class _Verified:
    code: str
    email: str
    expires: float


class VerifiedBookings:
    """Booking code and e-mail address of a verified booking, per conversation, in the action
    server's memory only (a few minutes): moving needs the code again, and it must never be kept in
    a slot, where the tracker store would keep it. After a restart the citizen is asked again."""

    def __init__(self, ttl_seconds: float = 900) -> None:
        self._ttl = ttl_seconds
        self._items: dict[str, _Verified] = {}

    def put(self, sender_id: str, code: str, email: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._items = {k: v for k, v in self._items.items() if v.expires > now}
        self._items[sender_id] = _Verified(code, email, now + self._ttl)

    def get(self, sender_id: str, now: float | None = None) -> tuple[str, str] | None:
        now = time.monotonic() if now is None else now
        item = self._items.get(sender_id)
        if item is None or item.expires <= now:
            self._items.pop(sender_id, None)
            return None
        return item.code, item.email

    def drop(self, sender_id: str) -> None:
        self._items.pop(sender_id, None)
