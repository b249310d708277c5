"""Retention: conversations whose last event is older than N days are deleted from the tracker store."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

logger = logging.getLogger(__name__)


def purge_conversations(database_url: str, older_than_days: int, now: float | None = None) -> int:
    """Delete every event of conversations inactive for `older_than_days`; return how many conversations."""
    if older_than_days < 1:
        raise ValueError(f"older_than_days must be at least 1, got {older_than_days}")
    cutoff = (now if now is not None else time.time()) - older_than_days * 86_400
    engine = sa.create_engine(database_url, future=True)
    try:
        with engine.begin() as connection:
            if not sa.inspect(connection).has_table("events"):
                return 0
            stale = [
                row[0]
                for row in connection.execute(
                    sa.text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"),
                    {"cutoff": cutoff},
                )
            ]
            for start in range(0, len(stale), 500):
                connection.execute(
                    sa.text("DELETE FROM events WHERE sender_id IN :senders").bindparams(
                        sa.bindparam("senders", expanding=True)
                    ),
                    {"senders": stale[start : start + 500]},
                )
    finally:
        engine.dispose()
    logger.info("purged %d conversations older than %d days", len(stale), older_than_days)
    return len(stale)
