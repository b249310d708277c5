"""Retention: conversations whose last event is older than N days are deleted from the tracker store,
and ended handoffs and done callback requests as old from the staff database."""

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


def purge_handoffs(staff_database_url: str, older_than_days: int, now: float | None = None) -> int:
    """Delete ended handoffs (with their messages) and done callback requests older than
    `older_than_days`; return how many handoffs. Active handoffs are never touched."""
    from .tables import callback_requests, handoff_messages, handoffs

    if older_than_days < 1:
        raise ValueError(f"older_than_days must be at least 1, got {older_than_days}")
    cutoff = (now if now is not None else time.time()) - older_than_days * 86_400
    engine = sa.create_engine(staff_database_url, future=True)
    try:
        with engine.begin() as connection:
            if not sa.inspect(connection).has_table("handoffs"):
                return 0
            old = sa.select(handoffs.c.id).where(handoffs.c.ended_at.is_not(None), handoffs.c.ended_at < cutoff)
            connection.execute(handoff_messages.delete().where(handoff_messages.c.handoff_id.in_(old)))
            count = connection.execute(handoffs.delete().where(handoffs.c.id.in_(old))).rowcount
            connection.execute(
                callback_requests.delete().where(
                    callback_requests.c.status == "done", callback_requests.c.done_at < cutoff
                )
            )
    finally:
        engine.dispose()
    logger.info("purged %d handoffs older than %d days", count, older_than_days)
    return int(count)
