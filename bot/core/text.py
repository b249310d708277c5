"""Small pure text helpers shared by the backend, the NLU components and the actions."""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# C0 control characters but tab, line feed and carriage return; DEL; and surrogate halves, which JSON
# can escape ("\ud800") but no UTF-8 text can carry (encoding such a string raises).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def fold(text: str) -> str:
    """Lower case with German umlauts spelled out, so "Bürgeramt" and "buergeramt" compare equal."""
    return unicodedata.normalize("NFC", text).lower().translate(_FOLD)


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def strip_control_chars(text: str) -> str:
    """`text` without control characters (tab and line breaks stay) and without lone surrogates."""
    return _CONTROL.sub("", text)
