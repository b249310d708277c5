"""API keys of `/api/chat` integrators: configured only as SHA-256 hex digests, never in clear."""

from __future__ import annotations

import hashlib
import hmac
import re

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def digest(key: str) -> str:
    """The SHA-256 hex digest to configure for `key` (`buergerbot` keys are long random strings,
    so a fast hash is enough: there is nothing to guess from it)."""
    return hashlib.sha256(key.encode()).hexdigest()


def parse_digests(value: str) -> frozenset[str]:
    """ "abc…,def…" -> digests; raises ValueError naming the first entry that is not a SHA-256 hex digest."""
    digests = set()
    for item in (part.strip().lower() for part in value.split(",")):
        if not item:
            continue
        if not _DIGEST.match(item):
            raise ValueError(f"not a SHA-256 hex digest: {item[:12]}…")
        digests.add(item)
    return frozenset(digests)


class ApiKeys:
    def __init__(self, digests: frozenset[str]) -> None:
        self._digests = digests

    def identify(self, key: str | None) -> str | None:
        """A short id of a valid key (the start of its digest), or None for a missing or unknown key."""
        if not key or len(key) > 256:
            return None
        presented = digest(key)
        match = False
        for known in self._digests:  # every digest compared, in constant time each
            match |= hmac.compare_digest(presented, known)
        return presented[:16] if match else None
