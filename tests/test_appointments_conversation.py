"""Appointments end to end over Rasa's REST channel: backend, action server and Rasa on loopback.

Buttons are pressed by sending their payload, as the gateway forwards an offered button."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.core.appointment_time import BERLIN
from bot.launcher.processes import Stack
from tests.test_e2e import say_secret

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def send(stack: Stack, sender: str, text: str) -> list[dict[str, Any]]:
    return stack.rasa_api().send(sender, text)


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def buttons(replies: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for r in replies for b in r.get("buttons") or []]


def book(stack: Stack, sender: str, email: str, service: str = '/book_appointment{"service": "reisepass"}') -> str:
    """A booking in one go; the booking code."""
    assert "Wann passt es Ihnen" in texts(send(stack, sender, service))
    offered = buttons(send(stack, sender, "übermorgen vormittag"))
    assert 1 <= len(offered) <= 4 and "Uhr" in offered[0]["title"]
    assert "Namen" in texts(send(stack, sender, offered[0]["payload"]))
    assert "E-Mail-Adresse" in texts(send(stack, sender, "Erika Mustermann"))
    summary = send(stack, sender, email)
    assert offered[0]["title"] in texts(summary) and "Bürgeramt Mitte" in texts(summary)
    booked = texts(send(stack, sender, "/affirm"))
    assert "Ihr Termin ist gebucht" in booked and ".ics?token=" in booked, booked
    return next(line.split(": ")[1] for line in booked.splitlines() if "Buchungscode:" in line)


def test_booking_in_one_go(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    assert len(book(full_stack, sender, f"erika.{uuid.uuid4().hex[:6]}@example.de")) == 10
    assert "gebucht" not in texts(send(full_stack, sender, "/affirm"))  # a repeated "Ja" books nothing


def test_cancelling_and_a_wrong_code(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    email = f"erika.{uuid.uuid4().hex[:6]}@example.de"
    code = book(full_stack, sender, email)
    other = f"test:{uuid.uuid4().hex}"
    assert "E-Mail-Adresse" in texts(send(full_stack, other, "ich muss meinen termin absagen"))
    replies = send(full_stack, other, email)
    assert "Buchungscode" in texts(replies) and any(r.get("custom") == {"input": "secret"} for r in replies)
    assert "stimmen leider nicht" in " ".join(say_secret(full_stack, other, "AAAA2222BB"))
    send(full_stack, other, email)
    assert "Termin gefunden" in " ".join(say_secret(full_stack, other, code))
    assert "ist abgesagt" in texts(send(full_stack, other, '/cancel_appointment{"appointment_action": "cancel"}'))


def test_moving(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    email = f"erika.{uuid.uuid4().hex[:6]}@example.de"
    code = book(full_stack, sender, email)
    send(full_stack, sender, "ich muss meinen termin absagen")
    send(full_stack, sender, email)
    say_secret(full_stack, sender, code)
    assert "Wann passt" in texts(send(full_stack, sender, '/cancel_appointment{"appointment_action": "move"}'))
    offered = buttons(send(full_stack, sender, "nächste Woche nachmittags"))
    assert "verschieben" in texts(send(full_stack, sender, offered[0]["payload"]))
    assert "verschoben auf" in texts(send(full_stack, sender, "/affirm"))


def test_service_without_appointments(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    answer = texts(send(full_stack, sender, '/book_appointment{"service": "hundesteuer"}'))
    assert "keinen Termin" in answer and "online" in answer


def test_invalid_email_is_asked_again(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    send(full_stack, sender, '/book_appointment{"service": "reisepass"}')
    offered = buttons(send(full_stack, sender, "so bald wie möglich"))
    send(full_stack, sender, offered[0]["payload"])
    send(full_stack, sender, "Erika Mustermann")
    again = texts(send(full_stack, sender, "erika@beispiel"))
    assert "„@“" in again
    assert "Bitte prüfen Sie Ihre Angaben" in texts(send(full_stack, sender, "erika@example.de"))


def test_every_slot_taken_offers_waiting_list_or_115(full_stack: Stack):
    today = datetime.now(BERLIN).date()
    closed = httpx.post(
        f"{full_stack.backend_url}/api/appointments/offices/standesamt/closures",
        json={"start": f"{today}T00:00:00", "end": f"{today + timedelta(days=40)}T00:00:00", "reason": "Umbau"},
        headers={"Authorization": f"Bearer {full_stack.backend_token}"},
        timeout=10,
    )
    assert closed.status_code == 201, closed.text
    try:
        sender = f"test:{uuid.uuid4().hex}"
        send(full_stack, sender, '/book_appointment{"service": "eheschliessung"}')
        answer = texts(send(full_stack, sender, "so bald wie möglich"))
        assert "kein Termin frei" in answer and "115" in answer
    finally:
        httpx.delete(
            f"{full_stack.backend_url}/api/appointments/closures/{closed.json()['id']}",
            headers={"Authorization": f"Bearer {full_stack.backend_token}"},
            timeout=10,
        )
