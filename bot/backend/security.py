"""Salted hashing of case access codes (scrypt from the standard library)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_N, _R, _P = 2**14, 8, 1
_PREFIX = "scrypt"


def normalize_access_code(code: str) -> str:
    """Codes are printed in upper case; citizens type them with spaces or in lower case."""
    return "".join(code.split()).upper()


def _derive(code: str, salt: bytes) -> bytes:
    return hashlib.scrypt(normalize_access_code(code).encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def hash_access_code(code: str) -> str:
    salt = os.urandom(16)
    digest = _derive(code, salt)
    return "$".join((_PREFIX, base64.b64encode(salt).decode(), base64.b64encode(digest).decode()))


def verify_access_code(code: str, stored: str) -> bool:
    try:
        prefix, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if prefix != _PREFIX:
        return False
    expected = base64.b64decode(digest_b64)
    return hmac.compare_digest(_derive(code, base64.b64decode(salt_b64)), expected)


# Checked against when a case number is unknown, so that an unknown number costs the
# same time as a wrong code and the two cannot be told apart.
DUMMY_HASH = "scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
