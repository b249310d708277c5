"""Small pure text helpers shared by the backend, the NLU components and the actions."""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fold(text: str) -> str:
    """Lower case with German umlauts spelled out, so "Bürgeramt" and "buergeramt" compare equal."""
    return unicodedata.normalize("NFC", text).lower().translate(_FOLD)


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def strip_control_chars(text: str) -> str:
    return _CONTROL.sub("", text)
