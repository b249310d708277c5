"""Redacts personal data from citizens' messages wherever staff see or export logs.

The originals stay only in the tracker store. Order matters: specific patterns (IBAN, case
numbers, e-mail, access codes) run before broad ones (phone numbers, dates).

Every pattern runs in time linear in the message length: a pattern may start only where a run
of its characters starts (a lookbehind, not `\\b`, which also matches inside "A-B-C"), unbounded
runs are followed by something their class cannot contain, and other repetitions are bounded.
No pattern nests quantifiers. Access codes are found without backtracking by splitting the text
into runs of letters and digits (bot/staff/tests prove it on inputs that took seconds before).
"""

from __future__ import annotations

import re

from bot.core.case_number import CASE_NUMBER_PATTERN

_NAME_WORD = r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
_STREET_SUFFIX = r"(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|pfad|steig)"
_WORD_START = r"(?<![\wäöüß-])"  # the start of a run of word characters and hyphens

CODE = "[CODE]"
_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"),
        "[IBAN]",
    ),
    (re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[E-MAIL]"),
    (CASE_NUMBER_PATTERN, "[AKTENZEICHEN]"),
]
_LATE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b\d{1,2}\.\s?\d{1,2}\.\s?(?:19|20)?\d{2}\b"), "[DATUM]"),
    (re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b"), "[DATUM]"),
    (re.compile(r"(?<![\w+])(?:\+|00)?\d[\d /()-]{6,30}\d"), "[TELEFON]"),
    (re.compile(rf"{_WORD_START}[A-ZÄÖÜ][\wäöüß-]*{_STREET_SUFFIX}\s+\d+\s?[a-zA-Z]?\b", re.IGNORECASE), "[ADRESSE]"),
    (
        re.compile(
            rf"{_WORD_START}(?:[A-ZÄÖÜ][\wäöüß-]*\s)?(?:Straße|Strasse|Weg|Allee|Platz|Gasse|Ring)\s+\d+\s?[a-zA-Z]?\b"
        ),
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

# Access codes: one run of 6–12 letters and digits mixing both (K7M2Q9, R7KP4TXE9W), or 2–3
# groups of 2–5 such characters, each mixing both, joined by one space or hyphen ("K7M2 Q9",
# "k7m2-q9", "R7KP 4TXE 9W"), 6–12 characters in all. Words of ordinary text rarely mix both.
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")
_CODE_MIN, _CODE_MAX, _GROUP_MIN, _GROUP_MAX, _MAX_GROUPS = 6, 12, 2, 5, 3


def _mixed(token: str) -> bool:
    return not token.isdigit() and not token.isalpha()


def _redact_codes(text: str) -> str:
    runs = [(m.start(), m.end()) for m in _ALNUM_RUN.finditer(text) if text[m.start() : m.end()].isascii()]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(runs):
        start, end = runs[i]
        token = text[start:end]
        if _CODE_MIN <= len(token) <= _CODE_MAX and _mixed(token) and _alone(text, start, end):
            spans.append((start, end))
            i += 1
            continue
        j, total = i, 0
        while (
            j < len(runs)
            and j - i < _MAX_GROUPS
            and _GROUP_MIN <= runs[j][1] - runs[j][0] <= _GROUP_MAX
            and _mixed(text[runs[j][0] : runs[j][1]])
            and (j == i or (runs[j][0] - runs[j - 1][1] == 1 and text[runs[j - 1][1]] in " -"))
            and total + runs[j][1] - runs[j][0] <= _CODE_MAX
        ):
            total += runs[j][1] - runs[j][0]
            j += 1
        if j - i >= 2 and total >= _CODE_MIN and _alone(text, start, runs[j - 1][1]):
            spans.append((start, runs[j - 1][1]))
            i = j
        else:
            i += 1
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], CODE]
        last = end
    return "".join([*pieces, text[last:]])


def _alone(text: str, start: int, end: int) -> bool:
    """Not glued to other word characters (ä, é, _ are word characters but not in the runs)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_" or after.isalnum() or after == "_")


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    text = _redact_codes(text)
    for pattern, replacement in _LATE_RULES:
        text = pattern.sub(replacement, text)
    return text
