"""The German e-mails: the absolute date in Berlin time, the booking code, the cancellation link
and the documents to bring, in plain lines a mail program shows as they are."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.backend.mail import texts
from bot.backend.mail.texts import BookingMail

BERLIN = ZoneInfo("Europe/Berlin")
BASE = "https://buergerbot.musterstadt.de"
MAIL = BookingMail(
    code="K7M2P9QX",
    service="Personalausweis beantragen",
    office="Bürgeramt Mitte",
    office_address="Rathausplatz 1, 12345 Musterstadt",
    start=datetime(2026, 12, 8, 10, 15, tzinfo=BERLIN),
    citizen_name="Anna Schmidt",
    documents=("bisheriger Personalausweis", "ein biometrisches Passfoto"),
)
ALL = [texts.confirmation, texts.reminder, texts.cancellation]


@pytest.mark.parametrize("write", ALL)
def test_every_mail_names_date_code_office_and_the_cancellation_link(write):
    mail = write(MAIL, BASE)
    assert "Dienstag, 8. Dezember 2026, 10:15 Uhr" in mail.subject
    assert "Personalausweis beantragen" in mail.subject
    body = mail.body
    assert "Termin: Dienstag, 8. Dezember 2026, 10:15 Uhr" in body
    assert "Buchungscode: K7M2P9QX" in body
    assert "Ort: Bürgeramt Mitte, Rathausplatz 1, 12345 Musterstadt" in body
    assert f"{BASE}/termin/absagen?code=K7M2P9QX" in body.splitlines()
    assert body.startswith("Guten Tag Anna Schmidt,\n")
    assert body.endswith("Mit freundlichen Grüßen\nIhre Stadtverwaltung\n")
    assert "\n" not in mail.subject
    assert max(len(line) for line in body.splitlines()) <= 78


def test_confirmation_and_reminder_list_the_documents_to_bring():
    for write in (texts.confirmation, texts.reminder):
        lines = write(MAIL, BASE).body.splitlines()
        start = lines.index("Bitte bringen Sie mit:")
        assert lines[start + 1 : start + 3] == ["- bisheriger Personalausweis", "- ein biometrisches Passfoto"]


def test_without_documents_there_is_no_list():
    mail = texts.confirmation(BookingMail(**{**MAIL.__dict__, "documents": ()}), BASE)
    assert "mitbringen" not in mail.body and "Bitte bringen Sie mit" not in mail.body


def test_each_kind_says_what_happened():
    assert "Ihr Termin ist gebucht." in texts.confirmation(MAIL, BASE).body
    assert "wir erinnern Sie an Ihren Termin." in texts.reminder(MAIL, BASE).body
    assert "Ihr Termin ist abgesagt." in texts.cancellation(MAIL, BASE).body
    assert texts.confirmation(MAIL, BASE).subject.startswith("Terminbestätigung: ")
    assert texts.reminder(MAIL, BASE).subject.startswith("Erinnerung: ")
    assert texts.cancellation(MAIL, BASE).subject.startswith("Termin abgesagt: ")


def test_a_utc_start_is_shown_in_berlin_time_also_in_summer():
    winter = BookingMail(**{**MAIL.__dict__, "start": datetime(2026, 12, 8, 9, 15, tzinfo=timezone.utc)})
    summer = BookingMail(**{**MAIL.__dict__, "start": datetime(2026, 7, 1, 6, 0, tzinfo=timezone.utc)})
    assert "Dienstag, 8. Dezember 2026, 10:15 Uhr" in texts.reminder(winter, BASE).body
    assert "Mittwoch, 1. Juli 2026, 08:00 Uhr" in texts.reminder(summer, BASE).body


def test_without_a_name_the_greeting_is_neutral_and_names_are_one_line():
    assert texts.confirmation(BookingMail(**{**MAIL.__dict__, "citizen_name": " "}), BASE).body.startswith(
        "Guten Tag,\n"
    )
    spread = BookingMail(**{**MAIL.__dict__, "citizen_name": "Anna\nSchmidt"})
    assert texts.confirmation(spread, BASE).body.startswith("Guten Tag Anna Schmidt,\n")


def test_the_link_quotes_the_code_and_ignores_a_trailing_slash():
    assert texts.cancellation_link("http://127.0.0.1:8000/", "AB CD&E") == (
        "http://127.0.0.1:8000/termin/absagen?code=AB%20CD%26E"
    )


@pytest.mark.parametrize("write", ALL)
def test_a_ready_cancellation_link_is_used_as_given(write):
    signed = "https://buergerbot.musterstadt.de/termine/absagen?buchung=7&token=abc"
    body = write(BookingMail(**{**MAIL.__dict__, "cancel_url": signed}), BASE).body
    assert signed in body.splitlines()
    assert "code=" not in body
