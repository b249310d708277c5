"""Pure functions that turn backend data into short, polite German answers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

SERVICE_INTENTS = ("service_info", "ask_documents", "ask_fees", "ask_processing_time")
OFFICE_INTENTS = ("ask_opening_hours", "ask_office_location")

BACKEND_DOWN = (
    "Die Auskunft ist gerade leider nicht erreichbar. Bitte versuchen Sie es in ein paar Minuten "
    "noch einmal oder rufen Sie das Bürgertelefon 115 an (Mo–Fr 8–18 Uhr)."
)
WEEKDAY_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def button(title: str, intent: str, entities: dict[str, str] | None = None) -> dict[str, str]:
    """A quick-reply button whose payload triggers `intent` with `entities` directly in Rasa."""
    payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return {"title": title, "payload": payload}


def service_answer(intent: str, service: dict[str, Any]) -> str:
    name = service["name"]
    if intent == "ask_documents":
        docs = "\n".join(f"• {doc}" for doc in service["documents"])
        return f"Für {name} bringen Sie bitte mit:\n{docs}"
    if intent == "ask_fees":
        return f"Gebühr für {name}: {service['fees']}."
    if intent == "ask_processing_time":
        return f"Bearbeitungszeit für {name}: {service['processing_time']}."
    lines = [f"{name}: {service['description']}", f"Zuständig: {service['office']['name']}."]
    lines.append(
        "Dafür brauchen Sie einen Termin." if service["appointment_required"] else "Sie brauchen dafür keinen Termin."
    )
    if service.get("online_url"):
        lines.append(f"Online erledigen: {service['online_url']}")
    return "\n".join(lines)


def service_follow_up_buttons(service: dict[str, Any], answered_intent: str) -> list[dict[str, str]]:
    options = [
        ("Unterlagen", "ask_documents"),
        ("Kosten", "ask_fees"),
        ("Dauer", "ask_processing_time"),
        ("Öffnungszeiten", "ask_opening_hours"),
    ]
    return [button(title, intent, {"service": service["id"]}) for title, intent in options if intent != answered_intent]


def _clock(moment: str | datetime) -> datetime:
    return moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)


def open_now_sentence(office: dict[str, Any], now: datetime) -> str:
    name = office["name"]
    if office["open_now"]:
        return f"{name} ist jetzt geöffnet, heute bis {_clock(office['changes_at']):%H:%M} Uhr."
    if not office.get("changes_at"):
        return f"{name} hat derzeit keine regulären Öffnungszeiten."
    opens = _clock(office["changes_at"])
    if opens.date() == now.date():
        when = f"heute um {opens:%H:%M} Uhr"
    elif (opens.date() - now.date()).days == 1:
        when = f"morgen um {opens:%H:%M} Uhr"
    else:
        when = f"am {WEEKDAY_DE[opens.weekday()]} um {opens:%H:%M} Uhr"
    return f"{name} ist gerade geschlossen. Es öffnet wieder {when}."


def opening_hours_answer(office: dict[str, Any], now: datetime) -> str:
    hours = "\n".join(office["opening_hours_text"])
    return f"{open_now_sentence(office, now)}\n\nÖffnungszeiten:\n{hours}"


def location_answer(office: dict[str, Any]) -> str:
    return (
        f"{office['name']}\n{office['street']}, {office['postal_code']} {office['city']}\n"
        f"Telefon: {office['phone']}\nE-Mail: {office['email']}\n"
        f"Anfahrt: {office['transport']}\nBarrierefreiheit: {office['accessibility']}"
    )


def case_status_answer(case: dict[str, Any]) -> str:
    history = "\n".join(
        f"• {datetime.fromisoformat(e['date']):%d.%m.%Y}: {e['status_label']}"
        + (f" – {e['note']}" if e["note"] else "")
        for e in case["history"]
    )
    return (
        f"Ihr Vorgang {case['case_number']} ({case['service']}) hat den Status „{case['status_label']}“.\n"
        f"Nächster Schritt: {case['next_step']}\n\nVerlauf:\n{history}"
    )


def minutes_text(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return "einer Minute" if minutes == 1 else f"{minutes} Minuten"
