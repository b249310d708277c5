"""Retention of appointment data (DSGVO): a booking whose appointment ended more than N days ago
keeps office, service, time and status (the calendar's history, no-show counts) but loses the
citizen's name and e-mail address; the e-mails sent about it, which quote both, are deleted."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.backend.mail.outbox import OutboxRecord

from .tables import BookingRecord

logger = logging.getLogger(__name__)

ERASED = ""


def erase_past_bookings(session: Session, now: datetime, older_than_days: int) -> int:
    """Erase the personal data of bookings that ended `older_than_days` before `now` (naive UTC,
    as stored); returns how many bookings. Runs in the caller's transaction."""
    if older_than_days < 1:
        raise ValueError(f"older_than_days must be at least 1, got {older_than_days}")
    cutoff = now - timedelta(days=older_than_days)
    ids = [
        row[0]
        for row in session.execute(
            sa.select(BookingRecord.id).where(BookingRecord.end_at < cutoff, BookingRecord.email != ERASED)
        )
    ]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(
            sa.update(BookingRecord)
            .where(BookingRecord.id.in_(chunk))
            .values(name=ERASED, email=ERASED, email_key=ERASED, open_key=None)
        )
        session.execute(sa.delete(OutboxRecord).where(OutboxRecord.booking_id.in_(chunk)))
    if ids:
        logger.info("erased the personal data of %d past bookings", len(ids))
    return len(ids)
