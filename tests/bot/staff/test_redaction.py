"""Redaction of personal data: examples, properties (hypothesis) and crafted worst cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.staff.redaction import redact
from tests.support import doubling_ratio


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Wie ist der Stand von BA-2025-004711?", "Wie ist der Stand von [AKTENZEICHEN]?"),
        (
            "mein aktenzeichen ist ba 2025 004711 und der code K7M2Q9",
            "mein aktenzeichen ist [AKTENZEICHEN] und der code [CODE]",
        ),
        ("k7m2q9", "[CODE]"),
        ("Schreiben Sie mir an erika.mustermann@example.org bitte", "Schreiben Sie mir an [E-MAIL] bitte"),
        ("Rufen Sie mich an: 0171 2345678", "Rufen Sie mich an: [TELEFON]"),
        ("meine nummer ist +49 (30) 123 456-78", "meine nummer ist [TELEFON]"),
        ("Überweisung von DE89 3704 0044 0532 0130 00 ist raus", "Überweisung von [IBAN] ist raus"),
        ("geboren am 03.07.1985 in Köln", "geboren am [DATUM] in Köln"),
        ("Ich wohne in der Hauptstraße 12a und ziehe um", "Ich wohne in der [ADRESSE] und ziehe um"),
        ("neue adresse: Am Lindenweg 7", "neue adresse: Am [ADRESSE]"),
        ("Hallo, ich heiße Erika Mustermann und brauche einen Pass", "Hallo, ich heiße [NAME] und brauche einen Pass"),
        ("Mein Name ist Jürgen Müller-Lüdenscheidt", "Mein Name ist [NAME]"),
    ],
)
def test_personal_data_is_redacted(message, expected):
    assert redact(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "Was kostet ein Reisepass?",
        "Wann hat das Bürgeramt am Samstag offen?",
        "Ich brauche 2 Passfotos",
        "Die Gebühr ist 37,00 Euro",
        "Ich bin total verloren",
    ],
)
def test_ordinary_questions_stay_as_they_are(message):
    assert redact(message) == message


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("der code ist K7M2 Q9", "der code ist [CODE]"),
        ("code: k7m2-q9, danke", "code: [CODE], danke"),
        ("Zugangscode R7KP4TXE9W bitte", "Zugangscode [CODE] bitte"),
        ("Zugangscode r7kp 4txe 9w bitte", "Zugangscode [CODE] bitte"),
        ("Nr ab K7M2 Q9", "Nr ab [CODE]"),
    ],
)
def test_access_codes_typed_in_groups_are_redacted(message, expected):
    assert redact(message) == expected


@pytest.mark.parametrize(
    "message", ["Termin um 10 Uhr am 12 Mai", "Ich habe 2 Kinder und 3 Hunde", "MP3-Player A4 Papier"]
)
def test_numbers_in_ordinary_sentences_are_not_codes(message):
    assert redact(message) == message


# --- properties and crafted inputs --------------------------------------------------------------
PERSONAL = st.sampled_from(
    ["K7M2 Q9", "ba 2025 004711", "a@b.de", "0171 2345678", "Hauptstraße 12", "ich heiße Erika Muster", "03.07.1985"]
)
MESSAGES = st.lists(st.text(max_size=20) | PERSONAL, max_size=15).map(" ".join)


@given(MESSAGES)
def test_redaction_never_raises_and_is_idempotent(message):
    once = redact(message)
    assert redact(once) == once


# Inputs that made the old patterns backtrack (seconds for 10–20k characters): runs of word
# characters and hyphens without a street suffix, long local parts without "@", digit runs.
CRAFTED = {
    "word-hyphen runs": "A-",
    "capitalised hyphen runs": "Ab-",
    "no @ in a long local part": "a",
    "phone separators": "1(",
    "code-like groups": "k7 ",
}


@pytest.mark.parametrize("unit", CRAFTED.values(), ids=CRAFTED.keys())
def test_crafted_inputs_take_linear_time(unit):
    """Doubling the input at most ~2.5x (3x with timer noise) the time; the old patterns took
    4–8x, and 42.9 s for 20,000 characters of "A-"."""
    assert doubling_ratio(redact, unit) <= 3.0
