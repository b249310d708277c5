"""Redacts personal data from citizens' messages wherever staff see or export logs.

The originals stay only in the tracker store. Order matters: specific patterns (IBAN, case
numbers, e-mail) run before broad ones (phone numbers, dates).
"""

from __future__ import annotations

import re

from bot.core.case_number import CASE_NUMBER_PATTERN

_NAME_WORD = r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
_STREET_SUFFIX = r"(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|pfad|steig)"

_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b"), "[IBAN]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[E-MAIL]"),
    (CASE_NUMBER_PATTERN, "[AKTENZEICHEN]"),
    # Access codes: 6 to 8 characters mixing letters and digits (K7M2Q9).
    (re.compile(r"\b(?=[A-Za-z0-9]{6,8}\b)(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{6,8}\b"), "[CODE]"),
    (re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.\s?(?:19|20)?\d{2}\b"), "[DATUM]"),
    (re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b"), "[DATUM]"),
    (re.compile(r"(?<![\w])(?:\+|00)?\d[\d /()-]{6,}\d"), "[TELEFON]"),
    (re.compile(rf"\b[A-ZÄÖÜ][\wäöüß-]*{_STREET_SUFFIX}\s+\d+\s?[a-zA-Z]?\b", re.IGNORECASE), "[ADRESSE]"),
    (
        re.compile(r"\b(?:[A-ZÄÖÜ][\wäöüß-]*\s)?(?:Straße|Strasse|Weg|Allee|Platz|Gasse|Ring)\s+\d+\s?[a-zA-Z]?\b"),
        "[ADRESSE]",
    ),
    (
        re.compile(
            rf"\b((?:ich\s+heiße|ich\s+heisse|mein\s+name\s+ist|ich\s+bin\s+(?:der|die))\s+)"
            rf"({_NAME_WORD}(?:\s+{_NAME_WORD})?)",
            re.IGNORECASE,
        ),
        r"\1[NAME]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
