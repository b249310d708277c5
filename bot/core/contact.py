"""Contact data a citizen types for a callback: name, phone number or e-mail, topic, preferred time.

Each `parse_*` function takes the text as typed and returns the normalised value, or raises
`InvalidContact` whose `.text` says in German, politely and with an example, what is wrong; the
caller sends that text and asks again. Nothing is guessed: a value that does not fit is refused.

Before any rule, the text is cleaned: control and format characters (C0/C1 controls, zero-width
and bidi marks, lone surrogates) are removed, every run of white space (tabs and line breaks too)
becomes one space, the ends are trimmed, and the text is NFC-normalised (a decomposed "ü" counts as
one letter). Lengths are counted on the cleaned text.

- Name (`parse_name`): 2–100 characters, at least two letters; letters of any script (umlauts, ß,
  accents), spaces, hyphen, apostrophe (' or ’) and dot ("Dr. Anna-Lena O’Brien"); no digits. A
  lead-in such as "Ich heiße …" or "Mein Name ist …" is dropped. Kept as typed otherwise.
- Phone (`parse_phone`): digits with the separators citizens use (spaces, "/", "-", ".", brackets),
  optionally after a label ("Tel.:", "Handy:"). Normalised to "+" and digits only (E.164):
  - "0171 1234567", "030/1234-56", "(030) 123456": national, the leading 0 becomes "+49";
  - "+49 …" or "0049 …": international; a "(0)" after the country code is dropped ("+49 (0)30 …"),
    and so is a 0 right after +49 ("+49 030 …", a common slip: German numbers never start with 0
    after the country code); other countries keep their digits as written ("+39 06 …");
  - a number without area code ("123456") is refused, since nobody could dial it from elsewhere;
  - 7–15 digits after the "+" (E.164 allows 15), the first one not 0.
- E-mail (`parse_email`): pragmatic, not RFC 5322: exactly one "@", no spaces, at most 254
  characters (64 before the "@"), no ".." and no dot at either end of the part before the "@", none of
  `, ; : < > ( ) [ ] \\ "` (commas and semicolons usually mean a list). After the "@" at least two
  labels of letters, digits and hyphens, separated by dots, none starting or ending with a hyphen, the
  last one at least two characters and not all digits. The domain is lower-cased, the part before the
  "@" is kept as typed (some servers distinguish case there). A sentence's final dot is dropped, as is
  a label such as "E-Mail:".
- `parse_contact`: an e-mail when the text contains "@", a phone number when it contains a digit;
  otherwise the reason names both, since the question asks for either.
- Topic (`parse_topic`): 3–500 characters with at least one letter or digit.
- Preferred time (`parse_preferred_time`): free text of 1–200 characters, kept as typed ("vormittags",
  "morgen ab 14 Uhr", "egal", "jederzeit"); reading it is left to the staff member who calls back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

ContactKind = Literal["phone", "email"]

NAME_MIN, NAME_MAX = 2, 100
PHONE_DIGITS_MIN, PHONE_DIGITS_MAX = 7, 15
EMAIL_MAX, EMAIL_LOCAL_MAX = 254, 64
TOPIC_MIN, TOPIC_MAX = 3, 500
PREFERRED_TIME_MIN, PREFERRED_TIME_MAX = 1, 200

_EXAMPLE_NAME = "„Erika Mustermann“"
_EXAMPLE_PHONE = "„0171 1234567“"
_EXAMPLE_EMAIL = "„erika.mustermann@example.de“"
_EXAMPLE_TOPIC = "„Frage zu meinem Antrag auf Wohngeld“"

# Unicode categories removed by `clean`: controls, format characters (zero-width, bidi), surrogates.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

_NAME_LEAD_IN = re.compile(r"(?:mein name ist|ich heiße|ich heisse|ich bin|name)\s*(?::\s*|\s+)", re.IGNORECASE)
_NAME_PUNCTUATION = frozenset(" -'’.")
_PHONE_LABEL = re.compile(
    r"(?:telefonnummer|telefon|tel|handynummer|handy|mobilnummer|mobil|rufnummer|nummer|nr)\.?\s*:?\s*",
    re.IGNORECASE,
)
_PHONE_SEPARATORS = frozenset(" /-–‐‑.()")
_PHONE_TRUNK_ZERO = re.compile(r"\(\s*0\s*\)")
_EMAIL_LABEL = re.compile(r"(?:e-?mail-adresse|e-?mail|mail)\s*(?::\s*|\s+)", re.IGNORECASE)
_EMAIL_FORBIDDEN = frozenset(',;:<>()[]\\"')


class InvalidContact(ValueError):
    """A value the citizen typed does not fit; `text` is the German reason, with an example."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Contact:
    """How the citizen wants to be reached: `value` is "+49…" for a phone, the address for an e-mail."""

    kind: ContactKind
    value: str

    @property
    def label_de(self) -> str:
        return "Telefon" if self.kind == "phone" else "E-Mail"


def clean(text: str) -> str:
    """`text` without control or format characters, white space runs as one space, trimmed, NFC."""
    kept = "".join(
        " " if char.isspace() else "" if unicodedata.category(char) in _DROPPED_CATEGORIES else char for char in text
    )
    return unicodedata.normalize("NFC", " ".join(kept.split()))


def _drop_lead_in(pattern: re.Pattern[str], text: str) -> str:
    """`text` without a lead-in such as "Tel.:", unless nothing would be left."""
    found = pattern.match(text)
    return text[found.end() :] if found is not None and found.end() < len(text) else text


def parse_name(text: str) -> str:
    """The name as typed (cleaned, without a lead-in such as "Ich heiße")."""
    name = _drop_lead_in(_NAME_LEAD_IN, clean(text))
    if not name:
        raise InvalidContact(f"Bitte geben Sie Ihren Namen an, zum Beispiel {_EXAMPLE_NAME}.")
    if any(char.isdigit() for char in name):
        raise InvalidContact(f"Bitte geben Sie Ihren Namen ohne Ziffern an, zum Beispiel {_EXAMPLE_NAME}.")
    if not all(_is_letter(char) or char in _NAME_PUNCTUATION for char in name):
        raise InvalidContact(
            "Bitte verwenden Sie im Namen nur Buchstaben, Leerzeichen, Bindestrich, Apostroph oder Punkt, "
            "zum Beispiel „Anna-Lena O’Brien“."
        )
    if len(name) > NAME_MAX:
        raise InvalidContact(
            f"Der Name ist zu lang (höchstens {NAME_MAX} Zeichen). Bitte kürzen Sie ihn, zum Beispiel {_EXAMPLE_NAME}."
        )
    if len(name) < NAME_MIN or sum(char.isalpha() for char in name) < 2:
        raise InvalidContact(f"Bitte geben Sie Ihren vollständigen Namen an, zum Beispiel {_EXAMPLE_NAME}.")
    return name


def _is_letter(char: str) -> bool:
    # Combining marks count too: NFC leaves some letter + accent pairs decomposed.
    return unicodedata.category(char)[0] in "LM"


def parse_phone(text: str) -> str:
    """The number as "+" and 7–15 digits: "0171 1234567" → "+491711234567"."""
    # Digits of other scripts (full-width "０１７１" from some keyboards) count as the digits they are.
    number = "".join(
        str(unicodedata.decimal(char)) if char.isdecimal() else char
        for char in _drop_lead_in(_PHONE_LABEL, clean(text))
    )
    if not any(char.isdigit() for char in number):
        raise InvalidContact(f"Bitte geben Sie Ihre Telefonnummer an, zum Beispiel {_EXAMPLE_PHONE}.")
    if not all(char in _PHONE_SEPARATORS or char == "+" or "0" <= char <= "9" for char in number):
        raise InvalidContact(f"Bitte geben Sie eine Telefonnummer nur mit Ziffern an, zum Beispiel {_EXAMPLE_PHONE}.")
    compact = "".join(char for char in number if char not in _PHONE_SEPARATORS)
    if "+" in compact[1:]:
        raise InvalidContact(
            "Bitte schreiben Sie das „+“ nur an den Anfang der Nummer, zum Beispiel „+49 171 1234567“."
        )
    if compact.startswith(("+", "00")):
        compact = "".join(char for char in _PHONE_TRUNK_ZERO.sub("", number) if char not in _PHONE_SEPARATORS)
        digits = compact[1:] if compact.startswith("+") else compact[2:]
        if digits.startswith("490"):
            digits = "49" + digits[3:]
    elif compact.startswith("0"):
        digits = "49" + compact[1:]
    else:
        raise InvalidContact(
            "Bitte geben Sie die Telefonnummer mit Vorwahl an, zum Beispiel „030 1234567“ oder „+49 30 1234567“."
        )
    if digits.startswith("0"):
        raise InvalidContact(
            f"Bitte prüfen Sie die Vorwahl, zum Beispiel „+49 171 1234567“, „0049 171 1234567“ oder {_EXAMPLE_PHONE}."
        )
    if len(digits) < PHONE_DIGITS_MIN:
        raise InvalidContact(
            "Die Telefonnummer ist zu kurz. Bitte geben Sie sie vollständig mit Vorwahl an, "
            f"zum Beispiel {_EXAMPLE_PHONE}."
        )
    if len(digits) > PHONE_DIGITS_MAX:
        raise InvalidContact(
            f"Die Telefonnummer ist zu lang. Bitte geben Sie nur eine Nummer an, zum Beispiel {_EXAMPLE_PHONE}."
        )
    return "+" + digits


def parse_email(text: str) -> str:
    """The address with its domain lower-cased: "Erika@Example.DE" → "Erika@example.de"."""
    address = _drop_lead_in(_EMAIL_LABEL, clean(text))
    if address.endswith("."):
        address = address[:-1]
    if "@" not in address:
        raise InvalidContact(f"Bitte geben Sie eine E-Mail-Adresse mit „@“ an, zum Beispiel {_EXAMPLE_EMAIL}.")
    if " " in address:
        raise InvalidContact(f"Bitte geben Sie die E-Mail-Adresse ohne Leerzeichen an, zum Beispiel {_EXAMPLE_EMAIL}.")
    if address.count("@") > 1:
        raise InvalidContact(f"Bitte geben Sie nur eine E-Mail-Adresse an, zum Beispiel {_EXAMPLE_EMAIL}.")
    local, domain = address.split("@")
    if len(address) > EMAIL_MAX or len(local) > EMAIL_LOCAL_MAX:
        raise InvalidContact(f"Die E-Mail-Adresse ist zu lang. Bitte prüfen Sie sie, zum Beispiel {_EXAMPLE_EMAIL}.")
    if not local:
        raise InvalidContact(
            f"Vor dem „@“ fehlt etwas. Bitte geben Sie die ganze Adresse an, zum Beispiel {_EXAMPLE_EMAIL}."
        )
    forbidden = next((char for char in address if char in _EMAIL_FORBIDDEN), None)
    if forbidden is not None:
        raise InvalidContact(
            f"Das Zeichen „{forbidden}“ kann in einer E-Mail-Adresse nicht stehen. "
            f"Bitte prüfen Sie die Adresse, zum Beispiel {_EXAMPLE_EMAIL}."
        )
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidContact(f"Bitte prüfen Sie die Punkte vor dem „@“, zum Beispiel {_EXAMPLE_EMAIL}.")
    if not _is_domain(domain):
        raise InvalidContact(f"Bitte prüfen Sie den Teil nach dem „@“, zum Beispiel {_EXAMPLE_EMAIL}.")
    return f"{local}@{domain.lower()}"


def _is_domain(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2 or len(labels[-1]) < 2 or labels[-1].isdigit():
        return False
    return all(
        0 < len(label) <= 63
        and not label.startswith("-")
        and not label.endswith("-")
        and all(char.isalnum() or char == "-" or unicodedata.category(char)[0] == "M" for char in label)
        for label in labels
    )


def parse_contact(text: str) -> Contact:
    """An e-mail address when the text has an "@", else a phone number."""
    cleaned = clean(text)
    if "@" in cleaned:
        return Contact("email", parse_email(cleaned))
    if any(char.isdigit() for char in cleaned):
        return Contact("phone", parse_phone(cleaned))
    raise InvalidContact(
        f"Bitte geben Sie eine Telefonnummer wie {_EXAMPLE_PHONE} oder eine E-Mail-Adresse wie {_EXAMPLE_EMAIL} an."
    )


def parse_topic(text: str) -> str:
    """The topic as typed (cleaned): 3–500 characters."""
    topic = clean(text)
    if len(topic) > TOPIC_MAX:
        raise InvalidContact(
            f"Bitte beschreiben Sie Ihr Anliegen kürzer (höchstens {TOPIC_MAX} Zeichen), zum Beispiel {_EXAMPLE_TOPIC}."
        )
    if len(topic) < TOPIC_MIN or not any(char.isalnum() for char in topic):
        raise InvalidContact(f"Bitte beschreiben Sie Ihr Anliegen in wenigen Worten, zum Beispiel {_EXAMPLE_TOPIC}.")
    return topic


def parse_preferred_time(text: str) -> str:
    """The preferred time as typed (cleaned): 1–200 characters, "egal" and "jederzeit" too."""
    preferred = clean(text)
    if len(preferred) > PREFERRED_TIME_MAX:
        raise InvalidContact(
            f"Bitte geben Sie die Zeit kürzer an (höchstens {PREFERRED_TIME_MAX} Zeichen), "
            "zum Beispiel „Dienstag ab 14 Uhr“."
        )
    if len(preferred) < PREFERRED_TIME_MIN:
        raise InvalidContact("Bitte nennen Sie eine Zeit, zum Beispiel „vormittags“, „Dienstag ab 14 Uhr“ oder „egal“.")
    return preferred
