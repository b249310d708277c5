"""Tables of the appointment calendars. Times are naive UTC (SQLite keeps no zone), as elsewhere.

`slot_claims` is what makes a double booking impossible: a hold or a booking claims every 5-minute
unit of its slot on one counter, and (office, counter, unit) is the table's primary key, so the
database refuses a second claim however the requests interleave. A hold's claims carry its expiry;
an expired claim blocks nothing and is deleted by the next claim of the same units, in the same
transaction. Office and service ids are plain strings, not foreign keys: a catalogue reload may
drop an office that still has bookings, and those bookings stay.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String

from bot.backend.tables import Base


class CalendarRecord(Base):
    """An office's parallel counters (from data/catalogue/appointments.yml, default 1)."""

    __tablename__ = "appointment_calendars"

    office_id = Column(String(64), primary_key=True)
    counters = Column(Integer, nullable=False, default=1)


class OfficeServiceRecord(Base):
    """A service an office gives appointments for, and how long one takes."""

    __tablename__ = "appointment_services"

    service_id = Column(String(64), primary_key=True)
    office_id = Column(String(64), primary_key=True, index=True)
    minutes = Column(Integer, nullable=False, default=15)


class ClosureRecord(Base):
    """A time staff closed an office (training day, works meeting); no slots overlap it."""

    __tablename__ = "appointment_closures"

    id = Column(Integer, primary_key=True, autoincrement=True)
    office_id = Column(String(64), nullable=False)
    start_at = Column(DateTime, nullable=False)
    end_at = Column(DateTime, nullable=False)
    reason = Column(String(200), nullable=False, default="")
    created_at = Column(DateTime, nullable=False)

    __table_args__ = (Index("ix_appointment_closures_office_end", "office_id", "end_at"),)


class HoldRecord(Base):
    """A slot reserved for a few minutes while the citizen confirms. The id is random: it is the
    capability to confirm."""

    __tablename__ = "appointment_holds"

    id = Column(String(32), primary_key=True)
    service_id = Column(String(64), nullable=False)
    office_id = Column(String(64), nullable=False)
    counter = Column(Integer, nullable=False)
    start_at = Column(DateTime, nullable=False)
    minutes = Column(Integer, nullable=False)
    client_key_hash = Column(String(64), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False, index=True)
    booking_id = Column(Integer, nullable=True)  # set once confirmed (or used for a move)


class BookingRecord(Base):
    __tablename__ = "appointment_bookings"

    id = Column(Integer, primary_key=True, autoincrement=True)
    service_id = Column(String(64), nullable=False)
    office_id = Column(String(64), nullable=False)
    counter = Column(Integer, nullable=False)
    start_at = Column(DateTime, nullable=False)
    end_at = Column(DateTime, nullable=False)
    status = Column(String(16), nullable=False, default="booked")  # booked | cancelled | no_show
    name = Column(String(100), nullable=False)
    email = Column(String(254), nullable=False)
    email_key = Column(String(64), nullable=False, index=True)  # sha256 of the normalised address
    # sha256 of e-mail key and service while the booking is open; NULL once cancelled or past. Unique:
    # the database keeps one open booking per address and service.
    open_key = Column(String(64), nullable=True, unique=True)
    code_hash = Column(String(200), nullable=False)  # salted scrypt, see security.py
    code_nonce = Column(String(32), nullable=False)  # with the idempotency key, derives the code again
    idempotency_hash = Column(String(64), nullable=False, unique=True)
    hold_id = Column(String(32), nullable=False)
    sequence = Column(Integer, nullable=False, default=0)  # iCalendar SEQUENCE: +1 on every change
    created_at = Column(DateTime, nullable=False)
    updated_at = Column(DateTime, nullable=False)

    __table_args__ = (Index("ix_appointment_bookings_office_start", "office_id", "start_at"),)


class SlotClaimRecord(Base):
    __tablename__ = "slot_claims"

    office_id = Column(String(64), primary_key=True)
    counter = Column(Integer, primary_key=True)
    unit = Column(Integer, primary_key=True)  # minutes since the epoch, UTC, a multiple of 5
    hold_id = Column(String(32), ForeignKey("appointment_holds.id", ondelete="SET NULL"), nullable=True, index=True)
    booking_id = Column(Integer, ForeignKey("appointment_bookings.id"), nullable=True, index=True)
    expires_at = Column(DateTime, nullable=True)  # a hold's; NULL for a booking's claims

    # The search reads claims by office and unit range: covering index (office, unit, counter, expiry).
    __table_args__ = (Index("ix_slot_claims_office_unit", "office_id", "unit", "counter", "expires_at"),)
