"""Citizens' ratings of the bot's answers (thumbs up/down), keyed by the rated message's reference."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from .errors import InvalidInput
from .tables import ratings

_REF = re.compile(r"^[A-Za-z0-9:_-]{1,64}$")


def rate(engine: sa.engine.Engine, sender_id: str, ref: str, value: int) -> None:
    """Record (or change) a citizen's rating of the answer to their message `ref`."""
    if value not in (1, -1):
        raise InvalidInput(f"Bewertung {value!r} ist ungültig: 1 oder -1.")
    if not _REF.match(ref):
        raise InvalidInput("Unbekannte Nachricht.")
    with engine.begin() as conn:
        changed = conn.execute(
            ratings.update()
            .where(ratings.c.sender_id == sender_id, ratings.c.ref == ref)
            .values(value=value, at=time.time())
        ).rowcount
        if not changed:
            conn.execute(ratings.insert().values(sender_id=sender_id, ref=ref, value=value, at=time.time()))
