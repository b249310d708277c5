"""Retention of appointment data: past bookings lose name and e-mail, their e-mails go; the
calendar's history stays, and bookings still ahead are untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.backend.appointments.retention import erase_past_bookings
from bot.backend.appointments.tables import BookingRecord
from bot.backend.mail.outbox import OutboxRecord

from .conftest import Backend


def test_past_bookings_lose_personal_data_and_their_mails(backend: Backend):
    past = backend.book(email="past@example.de")
    ahead = backend.book(email="ahead@example.de", client="web:other", index=1)
    with backend.session_factory() as session:
        end = session.get(BookingRecord, past["id"]).end_at
    with backend.session_factory() as session, session.begin():
        assert erase_past_bookings(session, end + timedelta(days=89), older_than_days=90) == 0
    with backend.session_factory() as session, session.begin():
        # The later booking ended less than 90 days before too: only the first one's time has come.
        cutoff_now = end + timedelta(days=90, seconds=1)
        ahead_end = session.get(BookingRecord, ahead["id"]).end_at
        assert ahead_end > end
        assert erase_past_bookings(session, cutoff_now, older_than_days=90) == 1
    with backend.session_factory() as session:
        erased = session.get(BookingRecord, past["id"])
        kept = session.get(BookingRecord, ahead["id"])
        assert (erased.name, erased.email, erased.status) == ("", "", "booked")
        assert kept.email == "ahead@example.de"
        mails = session.execute(sa.select(OutboxRecord.booking_id)).scalars().all()
        assert past["id"] not in mails and ahead["id"] in mails
    with backend.session_factory() as session, session.begin():
        assert erase_past_bookings(session, end + timedelta(days=90, seconds=1), older_than_days=90) == 0  # once


def test_retention_needs_at_least_a_day(backend: Backend):
    with backend.session_factory() as session, pytest.raises(ValueError):
        erase_past_bookings(session, backend.now[0], older_than_days=0)
