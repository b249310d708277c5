"""Secrets of the appointment calendars: booking codes, signed link tokens, keys of e-mail addresses.

A booking code is derived, not stored: HMAC(secret, nonce, idempotency key) written in the
unambiguous alphabet of access codes (no 0/O, 1/I/L). The booking keeps the nonce, a salted scrypt
hash of the code (as case access codes, security.py) and a SHA-256 of the idempotency key, never the
key itself; so a repeated confirm with the same key gets the same code back, and a copy of the
database alone gives neither codes nor keys. Link tokens (.ics download, cancellation link, office
feed) are HMACs over what they grant, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import unicodedata
from pathlib import Path

from bot.backend.security import ACCESS_CODE_ALPHABET, ACCESS_CODE_LENGTH
from bot.infra.paths import ensure_private_dir, write_private_text

logger = logging.getLogger(__name__)

BOOKING_CODE_LENGTH = ACCESS_CODE_LENGTH  # 10 characters of 31: about 49 bits
SECRET_FILE = "appointment_secret"


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, or the one generated once in `data_dir` (0600)."""
    if configured:
        return configured.encode()
    path = data_dir / SECRET_FILE
    if not path.exists():
        ensure_private_dir(data_dir)
        write_private_text(path, secrets.token_urlsafe(32))
        logger.info("generated the appointment secret in %s", path)
    return path.read_text(encoding="utf-8").strip().encode()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _mac(secret: bytes, *parts: str) -> bytes:
    message = "\x00".join(parts).encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).digest()


def booking_code(secret: bytes, nonce: str, idempotency_key: str) -> str:
    """The booking's code: 10 characters, the same for the same nonce and key."""
    number = int.from_bytes(_mac(secret, "booking-code", nonce, idempotency_key), "big")
    characters = []
    for _ in range(BOOKING_CODE_LENGTH):
        number, index = divmod(number, len(ACCESS_CODE_ALPHABET))
        characters.append(ACCESS_CODE_ALPHABET[index])
    return "".join(characters)


def sign(secret: bytes, purpose: str, *parts: str) -> str:
    """A URL-safe token (32 characters) for `purpose` over `parts`."""
    return base64.urlsafe_b64encode(_mac(secret, purpose, *parts)[:24]).decode()


def signature_matches(secret: bytes, token: str | None, purpose: str, *parts: str) -> bool:
    if not token:
        return False
    return hmac.compare_digest(sign(secret, purpose, *parts).encode(), token.encode("utf-8", "surrogatepass"))


def email_key(email: str) -> str:
    """One key per mailbox, for the one-open-booking rule and code look-ups: lower case, and a
    "+tag" before the "@" dropped ("Erika+1@Example.de" and "erika@example.de" are one address)."""
    local, _, domain = unicodedata.normalize("NFKC", email).strip().lower().rpartition("@")
    return sha256_hex(f"{local.split('+', 1)[0]}@{domain}")
