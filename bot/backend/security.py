"""Salted hashing of case access codes (scrypt from the standard library)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import unicodedata

_N, _R, _P = 2**14, 8, 1
_PREFIX = "scrypt"

# Codes of new cases: no 0/O, 1/I/L, which are easily confused on paper and on the phone.
ACCESS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ACCESS_CODE_LENGTH = 10  # 31**10 ≈ 8·10**14 codes (49 bits); old cases keep their 6 characters
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]")  # spaces, hyphens and dashes, underscores, dots


def new_access_code(length: int = ACCESS_CODE_LENGTH) -> str:
    """A random access code for a new case (`secrets`, the unambiguous alphabet)."""
    if length < ACCESS_CODE_LENGTH:
        raise ValueError(f"access codes need at least {ACCESS_CODE_LENGTH} characters")
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(length))


def normalize_access_code(code: str) -> str:
    """Codes are printed in upper case, maybe in groups; citizens type them with spaces, hyphens
    or in lower case: "k7m2 q9" and "K7M2-Q9" both become "K7M2Q9"."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", code)).upper()


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
