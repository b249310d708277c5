"""Unguessable, signed web-chat session ids: "<random token>.<signature>"."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

_SHAPE = re.compile(r"^[A-Za-z0-9_-]{32}\.[0-9a-f]{32}$")


class SessionSigner:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _sign(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()[:32]

    def new(self) -> str:
        token = secrets.token_urlsafe(24)  # 192 random bits
        return f"{token}.{self._sign(token)}"

    def verify(self, session: str | None) -> bool:
        if not session or not _SHAPE.match(session):
            return False
        token, signature = session.split(".")
        return hmac.compare_digest(signature, self._sign(token))


def sender_for_web(session: str) -> str:
    """The Rasa sender id of a web session (the signature stays out of Rasa's logs)."""
    return "web:" + session.split(".")[0]
