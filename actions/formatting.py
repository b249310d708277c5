"""Pure functions that turn backend data into short, polite German answers."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import quote_plus

from bot.core.opening_hours import day_text_de

SERVICE_INTENTS = ("service_info", "ask_documents", "ask_fees", "ask_processing_time")
OFFICE_INTENTS = ("ask_opening_hours", "ask_office_location")

BACKEND_DOWN = (
    "Die Auskunft ist gerade leider nicht erreichbar. Bitte versuchen Sie es in ein paar Minuten "
    "noch einmal oder rufen Sie das Bürgertelefon 115 an (Mo–Fr 8–18 Uhr)."
)


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


CITY_SEARCH_URL = "https://www.musterstadt.de/suche?q="
HANDOFF_BUTTON = {"title": "Mit einem Menschen sprechen", "payload": "/human_handoff"}
_SEARCH_QUERY_MAX = 200  # characters of the citizen's question carried into the search link


def choose_service_text(life_event: str | None) -> str:
    if life_event:
        return "Dazu passen mehrere Leistungen. Welche meinen Sie?"
    return "Meinen Sie eine dieser Leistungen?"


def service_choice_buttons(candidates: list[dict[str, Any]], intent: str) -> list[dict[str, str]]:
    """One button per candidate service; the payload sets the service and repeats the asked aspect."""
    return [button(c["name"], intent, {"service": c["id"]}) for c in candidates]


def city_search_url(question: str) -> str:
    return CITY_SEARCH_URL + quote_plus(" ".join(question.split())[:_SEARCH_QUERY_MAX])


def no_service_found_text(question: str) -> str:
    """The catalogue has nothing that fits: say so, and point to the city's search and a person."""
    return (
        "Dazu habe ich im Leistungsangebot der Stadt leider nichts Passendes gefunden. "
        f"Vielleicht hilft die Suche auf musterstadt.de: {city_search_url(question)}\n"
        "Oder sprechen Sie mit einem Menschen: Bürgertelefon 115 (Mo–Fr 8–18 Uhr)."
    )


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


def _day(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _when(opens: datetime, now: datetime) -> str:
    days = (opens.date() - now.date()).days
    if days == 0:
        return f"heute um {opens:%H:%M} Uhr"
    if days == 1:
        return f"morgen um {opens:%H:%M} Uhr"
    return f"am {day_text_de(opens.date())}, um {opens:%H:%M} Uhr"


def open_now_sentence(office: dict[str, Any], now: datetime) -> str:
    name = office["name"]
    holiday = office.get("closed_today")
    if holiday:
        text = (
            f"Heute ({day_text_de(_day(holiday['date']))}) ist Feiertag ({holiday['name']}): "
            "alle Ämter sind geschlossen."
        )
        if office.get("changes_at"):
            text += f" {name} öffnet wieder {_when(_clock(office['changes_at']), now)}."
        return text
    if office["open_now"]:
        return f"{name} ist jetzt geöffnet, heute bis {_clock(office['changes_at']):%H:%M} Uhr."
    if not office.get("changes_at"):
        return f"{name} hat derzeit keine regulären Öffnungszeiten."
    return f"{name} ist gerade geschlossen. Es öffnet wieder {_when(_clock(office['changes_at']), now)}."


def holiday_notice(holiday: dict[str, Any], today: date) -> str:
    """A public holiday of this week other than today, e.g. "Achtung: Am Freitag, 1. Mai, ist Feiertag ..."."""
    day = _day(holiday["date"])
    if day < today:
        return f"Hinweis: Am {day_text_de(day)}, war Feiertag ({holiday['name']}), das Amt war geschlossen."
    return f"Achtung: Am {day_text_de(day)}, ist Feiertag ({holiday['name']}), das Amt ist dann geschlossen."


def opening_hours_answer(office: dict[str, Any]) -> str:
    """Open now (or today's holiday), the regular week, and this week's other public holidays.
    "Now" is the backend's `as_of`, the moment its open state refers to."""
    now = _clock(office["as_of"])
    hours = "\n".join(office["opening_hours_text"])
    notices = [
        holiday_notice(h, now.date())
        for h in office.get("holidays_this_week") or []
        if _day(h["date"]) != now.date()  # today's holiday opens the answer already
    ]
    answer = f"{open_now_sentence(office, now)}\n\nÖffnungszeiten:\n{hours}"
    return answer + ("\n\n" + "\n".join(notices) if notices else "")


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
