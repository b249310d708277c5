"""What the gateway says to citizens about a handoff (German, polite, short)."""

from __future__ import annotations

import json

from channels.base import Button, OutgoingMessage

START = "/handoff_start"
LEAVE = "/handoff_leave"
CALLBACK = "/handoff_callback"
DECLINE = "/handoff_decline"
WAIT = "/handoff_wait"
RATE = "/handoff_rate"
HOTLINE = "Das Bürgertelefon erreichen Sie unter 115 (Mo–Fr 8–18 Uhr)."


def rate_payload(value: int) -> str:
    return f"{RATE}{json.dumps({'value': value})}"


LEAVE_BUTTON = Button("Warteschlange verlassen", LEAVE)
CALLBACK_BUTTON = Button("Rückruf anfordern", CALLBACK)


def offer_chat(team: str) -> OutgoingMessage:
    return OutgoingMessage(
        f"Möchten Sie mit einer Mitarbeiterin oder einem Mitarbeiter chatten? Es antwortet das Team {team}.",
        [Button("Ja, mit einem Menschen chatten", START), Button("Nein, weiter mit dem Bot", DECLINE)],
    )


def offer_callback(team: str, why: str) -> OutgoingMessage:
    return OutgoingMessage(
        f"{why} Sie können einen Rückruf anfordern: Das Team {team} meldet sich dann bei Ihnen. {HOTLINE}",
        [CALLBACK_BUTTON, Button("Nein, danke", DECLINE)],
    )


def nobody_online(team: str) -> str:
    return f"Gerade ist leider niemand aus dem Team {team} im Chat."


def closed(team: str, next_opening: str | None) -> str:
    when = f" Der Chat ist wieder ab {next_opening} besetzt." if next_opening else ""
    return f"Der Chat mit dem Team {team} ist gerade nicht besetzt.{when}"


def queued(team: str) -> OutgoingMessage:
    return OutgoingMessage(
        f"Sie sind jetzt in der Warteschlange des Teams {team}. Sobald jemand frei ist, geht es hier weiter. "
        "Sie können hier schon schreiben, worum es geht.",
        [LEAVE_BUTTON],
    )


NO_LIVE_CHAT_HERE = "Über diesen Zugang ist leider kein Chat mit Mitarbeitenden möglich."
CITIZEN_RESTARTED = "(Die Bürgerin oder der Bürger hat ein neues Gespräch begonnen.)"
LEFT = "Sie haben die Warteschlange verlassen. Ich bin wieder für Sie da: Wie kann ich Ihnen helfen?"
DECLINED = "Gern. Wie kann ich Ihnen sonst helfen?"
KEEP_WAITING = "Gern, Sie bleiben in der Warteschlange."
RATED = "Danke für Ihre Bewertung."
NOTHING_TO_RATE = "Danke. Es gibt gerade kein Gespräch zu bewerten."
CALLBACK_CANCELLED = "Die Rückrufbitte wurde nicht gespeichert. Wie kann ich Ihnen sonst helfen?"


def waited_long(minutes: int) -> OutgoingMessage:
    return OutgoingMessage(
        f"Sie warten schon {minutes} Minuten. Das tut uns leid. Möchten Sie lieber einen Rückruf anfordern?",
        [CALLBACK_BUTTON, Button("Weiter warten", WAIT)],
    )


def taken(author: str) -> str:
    return f"Sie chatten jetzt mit: {author}. Der Bürgerbot antwortet so lange nicht."


def agent_gone(position: int | None) -> OutgoingMessage:
    where = f" Sie sind wieder an Position {position} in der Warteschlange." if position else ""
    return OutgoingMessage(f"Ihre Ansprechperson ist nicht mehr verbunden.{where}", [LEAVE_BUTTON])


def transferred(team: str) -> OutgoingMessage:
    return OutgoingMessage(
        f"Ihr Anliegen wurde an das Team {team} weitergegeben. Bitte haben Sie einen Moment Geduld.", [LEAVE_BUTTON]
    )


HANDED_BACK = "Der Bürgerbot ist wieder für Sie da. Fragen Sie mich gern weiter."


def closed_by_agent() -> OutgoingMessage:
    return OutgoingMessage(
        "Das Gespräch wurde beendet. Vielen Dank! Wie hilfreich war es für Sie?",
        [Button("👍 Hilfreich", rate_payload(1)), Button("👎 Nicht hilfreich", rate_payload(-1))],
    )


def callback_stored(summary: str, reference: str) -> str:
    return f"{summary}\nIhre Rückrufbitte ist gespeichert. Ihre Nummer: {reference}. Wir melden uns bei Ihnen."
