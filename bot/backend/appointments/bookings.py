"""Holds, bookings, cancellations, moves and no-shows: every step one short write transaction.

The database decides races. A hold or a booking claims its slot's units in `slot_claims`, whose
primary key (office, counter, unit) refuses a second claim; a refused claim rolls the transaction
back and it is tried again on the state the winner left (another counter, or a 409 with the next
free slots). Each transaction starts with a write, so that under SQLite's WAL it waits for the write
lock instead of failing on a stale read snapshot; under PostgreSQL (READ COMMITTED) a competing
insert waits for the first one to commit, then fails on the key.

The rules against hoarding: a client key holds one slot at a time (a new hold releases its previous
one), and places at most `appointment_holds_per_window` holds in a window; one open booking per
e-mail address and service (a unique key the database enforces, `open_key`); booking codes are
checked like case access codes, counted per address with a lock after repeated failures.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.backend.errors import (
    AppointmentError,
    BookingLocked,
    BookingNotChangeable,
    BookingNotFound,
    BookingNotVerified,
    HoldAlreadyUsed,
    HoldNotFound,
    IdempotencyKeyReused,
    InvalidLinkToken,
    OpenBookingExists,
    SlotUnavailable,
    TooManyHolds,
    WrongService,
)
from bot.backend.lockout import clear_attempts, count_attempt
from bot.backend.security import DUMMY_HASH, hash_access_code, verify_access_code
from bot.backend.settings import BackendSettings
from bot.core.appointment_slots import BERLIN, OfficeCalendar, is_offered, units
from bot.infra.holiday_calendar import closed_days

from .calendars import (
    ServiceCalendars,
    calendars_for,
    closures_between,
    earliest_start,
    from_db,
    next_slots,
    plus_minutes,
    to_db,
)
from .codes import booking_code, email_key, sha256_hex, signature_matches
from .notify import notify
from .tables import BookingRecord, HoldRecord, SlotClaimRecord

logger = logging.getLogger(__name__)

T = TypeVar("T")
HOLD_KEY_PREFIX = "hold:"
BOOKING_KEY_PREFIX = "booking:"
LOOKUP_CANDIDATES = 10  # bookings of one address whose codes are compared (newest first)
RETRIES = 8  # write transactions tried again after a refused claim or a lock timeout
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Confirmed:
    booking: BookingRecord
    code: str
    created: bool  # False: a repeated confirm with the same idempotency key


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _retrying(
    session: Session,
    work: Callable[[], T],
    on_conflict: Callable[[], T | None] | None = None,
    give_up: Callable[[], AppointmentError] | None = None,
) -> T:
    """Run `work` (which commits) up to RETRIES times while the database refuses it (a claim on a
    taken unit, a unique key, a lock timeout). `on_conflict` runs after each refusal and may end the
    retries with a result or a domain error; after the last refusal `give_up` names the error.
    Domain errors roll back and pass through."""
    for attempt in range(RETRIES):
        try:
            return work()
        except AppointmentError:
            session.rollback()
            raise
        except (IntegrityError, OperationalError) as exc:
            session.rollback()
            logger.info("appointment write refused (%s), attempt %d", type(exc.orig).__name__, attempt + 1)
            if on_conflict is not None and (result := on_conflict()) is not None:
                return result
            if attempt == RETRIES - 1:
                if give_up is None:
                    raise
                raise give_up() from exc
    raise AssertionError("unreachable")  # the loop returns or raises


def _bulk(session: Session, statement: Any) -> Any:
    """A bulk UPDATE or DELETE, without syncing loaded objects (those are re-read where it matters)."""
    return session.execute(statement.execution_options(synchronize_session=False))


def _free_expired(session: Session, office_id: str, covered: list[int], now: datetime) -> None:
    """Expired hold claims on these units block nothing: deleted (the transaction's first write)."""
    _bulk(
        session,
        sa.delete(SlotClaimRecord).where(
            SlotClaimRecord.office_id == office_id,
            SlotClaimRecord.unit.in_(covered),
            SlotClaimRecord.expires_at.is_not(None),
            SlotClaimRecord.expires_at <= to_db(now),
        ),
    )


def _claim(
    session: Session,
    calendar: OfficeCalendar,
    covered: list[int],
    *,
    hold_id: str | None = None,
    booking_id: int | None = None,
    expires_at: datetime | None = None,
) -> int | None:
    """Claim the units on the first counter free for all of them; the counter, or None when every
    counter is taken. The insert is what decides: a competing claim makes it fail on the key."""
    taken = set(
        session.scalars(
            sa.select(SlotClaimRecord.counter)
            .where(SlotClaimRecord.office_id == calendar.office_id, SlotClaimRecord.unit.in_(covered))
            .distinct()
        )
    )
    free = [counter for counter in range(1, calendar.counters + 1) if counter not in taken]
    if not free:
        return None
    counter = free[0]
    session.execute(
        sa.insert(SlotClaimRecord),
        [
            {
                "office_id": calendar.office_id,
                "counter": counter,
                "unit": unit,
                "hold_id": hold_id,
                "booking_id": booking_id,
                "expires_at": to_db(expires_at) if expires_at else None,
            }
            for unit in covered
        ],
    )
    return counter


def _unavailable(
    session: Session,
    calendars: ServiceCalendars,
    office_id: str,
    start: datetime,
    settings: BackendSettings,
    now: datetime,
) -> SlotUnavailable:
    calendar = calendars.calendar(office_id)
    offered = next_slots(
        session,
        [calendar],
        start,
        now=now,
        federal_state=settings.federal_state,
        lead_minutes=settings.appointment_lead_minutes,
        horizon_days=settings.appointment_horizon_days,
    )
    names = {office_id: office.name for office_id, office in calendars.offices.items()}
    return SlotUnavailable(office_id, start, list(offered), names)


def _check_bookable(
    session: Session,
    calendars: ServiceCalendars,
    office_id: str,
    start: datetime,
    settings: BackendSettings,
    now: datetime,
) -> OfficeCalendar:
    """The office's calendar when `start` is a slot it offers, in the bookable range and not closed."""
    calendar = calendars.calendar(office_id)
    local = start.astimezone(BERLIN)
    horizon = now.astimezone(BERLIN) + timedelta(days=max(settings.appointment_horizon_days, 366))
    holidays = closed_days(settings.federal_state, local.date()) if local < horizon else {}
    end = plus_minutes(local, calendar.minutes)
    if (
        local < earliest_start(now, settings.appointment_lead_minutes)
        or local >= horizon
        or not is_offered(calendar, local, closed_days=holidays)
        or closures_between(session, [office_id], local, end)
    ):
        raise _unavailable(session, calendars, office_id, local, settings, now)
    return calendar


# --- holds ---------------------------------------------------------------------------------------


def place_hold(
    session: Session,
    *,
    service_id: str,
    office_id: str,
    start: datetime,
    client_key: str,
    now: datetime,
    settings: BackendSettings,
) -> HoldRecord:
    """Reserve the slot for `appointment_hold_minutes`; releases the client's previous hold."""
    calendars = calendars_for(session, service_id, office_id)
    calendar = _check_bookable(session, calendars, office_id, start, settings, now)
    key_hash = sha256_hex(client_key)
    window = settings.appointment_hold_window_minutes * 60
    attempts, window_start = count_attempt(session, HOLD_KEY_PREFIX + key_hash[:35], _epoch(now), window)
    if attempts > settings.appointment_holds_per_window:
        logger.info("hold refused: client over its limit (%d)", attempts)
        raise TooManyHolds(datetime.fromtimestamp(window_start + window, timezone.utc), now)
    local = start.astimezone(BERLIN)
    covered = units(local, calendar.minutes)
    expires = plus_minutes(now, settings.appointment_hold_minutes)

    def work() -> HoldRecord:
        _release_client_holds(session, key_hash)
        _purge_stale_holds(session, now)
        _free_expired(session, office_id, covered, now)
        hold = HoldRecord(
            id=secrets.token_urlsafe(16),
            service_id=calendars.service.id,
            office_id=office_id,
            counter=0,
            start_at=to_db(local),
            minutes=calendar.minutes,
            client_key_hash=key_hash,
            created_at=to_db(now),
            expires_at=to_db(expires),
        )
        session.add(hold)
        session.flush()
        counter = _claim(session, calendar, covered, hold_id=hold.id, expires_at=expires)
        if counter is None:
            raise _unavailable(session, calendars, office_id, local, settings, now)
        hold.counter = counter
        session.commit()
        logger.info("hold placed at %s, counter %d", office_id, counter)
        return hold

    return _retrying(session, work, give_up=lambda: _unavailable(session, calendars, office_id, local, settings, now))


def _release_client_holds(session: Session, key_hash: str) -> None:
    """A client holds one slot at a time: its unconfirmed holds and their claims go."""
    previous = sa.select(HoldRecord.id).where(HoldRecord.client_key_hash == key_hash, HoldRecord.booking_id.is_(None))
    _bulk(session, sa.delete(SlotClaimRecord).where(SlotClaimRecord.hold_id.in_(previous)))
    _bulk(session, sa.delete(HoldRecord).where(HoldRecord.client_key_hash == key_hash, HoldRecord.booking_id.is_(None)))


def release_hold(session: Session, hold_id: str) -> None:
    """The citizen chose another slot or stopped: the hold and its claims go (a used hold stays)."""
    _bulk(session, sa.delete(SlotClaimRecord).where(SlotClaimRecord.hold_id == hold_id))
    deleted = _bulk(
        session, sa.delete(HoldRecord).where(HoldRecord.id == hold_id, HoldRecord.booking_id.is_(None))
    ).rowcount
    session.commit()
    if not deleted:
        raise HoldNotFound(hold_id)


def _purge_stale_holds(session: Session, now: datetime) -> None:
    """Unconfirmed holds that expired a day ago go, with any claims left (those block nothing):
    done with every new hold, so the table stays small without a clean-up job."""
    stale = sa.select(HoldRecord.id).where(HoldRecord.booking_id.is_(None), HoldRecord.expires_at < to_db(now) - DAY)
    _bulk(session, sa.delete(SlotClaimRecord).where(SlotClaimRecord.hold_id.in_(stale)))
    _bulk(session, sa.delete(HoldRecord).where(HoldRecord.id.in_(stale)))


def _reclaim(
    session: Session, hold: HoldRecord, calendars: ServiceCalendars, booking_id: int, now: datetime
) -> int | None:
    """The hold's units for the booking: its own claims when they are all still there (an expired
    hold nobody took over is still good), else a fresh claim on any free counter; None if taken."""
    calendar = calendars.calendar(hold.office_id)
    covered = units(from_db(hold.start_at), hold.minutes)
    moved = _bulk(
        session,
        sa.update(SlotClaimRecord)
        .where(SlotClaimRecord.hold_id == hold.id)
        .values(hold_id=None, booking_id=booking_id, expires_at=None),
    ).rowcount
    if moved == len(covered):
        return int(hold.counter)
    _bulk(session, sa.delete(SlotClaimRecord).where(SlotClaimRecord.booking_id == booking_id))
    _free_expired(session, hold.office_id, covered, now)
    return _claim(session, calendar, covered, booking_id=booking_id)


# --- confirm -------------------------------------------------------------------------------------


def _open_key(mailbox_key: str, service_id: str) -> str:
    return sha256_hex(f"{mailbox_key}|{service_id}")


def _by_idempotency(session: Session, idempotency_hash: str) -> BookingRecord | None:
    booking: BookingRecord | None = session.scalars(
        sa.select(BookingRecord).where(BookingRecord.idempotency_hash == idempotency_hash)
    ).first()
    return booking


def confirm_hold(
    session: Session,
    *,
    hold_id: str,
    name: str,
    email: str,
    idempotency_key: str,
    now: datetime,
    secret: bytes,
    settings: BackendSettings,
) -> Confirmed:
    """Turn a hold into a booking. The same idempotency key again returns the same booking and
    code; another key for a used hold is HoldAlreadyUsed; a key used for another hold is refused."""
    idempotency_hash = sha256_hex(f"idempotency:{idempotency_key}")

    def repeated() -> Confirmed | None:
        existing = _by_idempotency(session, idempotency_hash)
        if existing is None:
            return None
        if existing.hold_id != hold_id:
            raise IdempotencyKeyReused()
        return Confirmed(existing, booking_code(secret, existing.code_nonce, idempotency_key), created=False)

    if (again := repeated()) is not None:
        return again
    hold: HoldRecord | None = session.get(HoldRecord, hold_id)
    if hold is None:
        raise HoldNotFound(hold_id)
    if hold.booking_id is not None:
        raise HoldAlreadyUsed(hold_id)
    calendars = calendars_for(session, hold.service_id, hold.office_id)
    session.commit()  # end the read before the write transaction (SQLite WAL)
    nonce = secrets.token_hex(8)
    code = booking_code(secret, nonce, idempotency_key)
    code_hash = hash_access_code(code)  # slow on purpose: outside the write transaction
    mailbox = email_key(email)
    open_key = _open_key(mailbox, hold.service_id)

    def work() -> Confirmed:
        # First write: a past booking no longer counts as open.
        _bulk(
            session,
            sa.update(BookingRecord)
            .where(BookingRecord.open_key == open_key, BookingRecord.end_at <= to_db(now))
            .values(open_key=None),
        )
        current: HoldRecord | None = session.get(HoldRecord, hold_id, populate_existing=True)
        if current is None:
            raise HoldNotFound(hold_id)
        if current.booking_id is not None:
            again = repeated()
            if again is None:
                raise HoldAlreadyUsed(hold_id)
            return again
        if session.scalar(sa.select(BookingRecord.id).where(BookingRecord.open_key == open_key)) is not None:
            raise OpenBookingExists(current.service_id)
        start = from_db(current.start_at)
        if start <= now:  # held long ago, and the time has passed meanwhile
            raise _unavailable(session, calendars, current.office_id, start, settings, now)
        booking = BookingRecord(
            service_id=current.service_id,
            office_id=current.office_id,
            counter=current.counter,
            start_at=current.start_at,
            end_at=to_db(plus_minutes(start, current.minutes)),
            status="booked",
            name=name,
            email=email,
            email_key=mailbox,
            open_key=open_key,
            code_hash=code_hash,
            code_nonce=nonce,
            idempotency_hash=idempotency_hash,
            hold_id=current.id,
            sequence=0,
            created_at=to_db(now),
            updated_at=to_db(now),
        )
        session.add(booking)
        session.flush()
        counter = _reclaim(session, current, calendars, booking.id, now)
        if counter is None:
            raise _unavailable(session, calendars, current.office_id, start, settings, now)
        booking.counter = counter
        current.booking_id = booking.id
        notify(session, booking, "confirmed", now=now, secret=secret, settings=settings)
        session.commit()
        logger.info("booking %d confirmed at %s", booking.id, booking.office_id)
        return Confirmed(booking, code, created=True)

    def on_conflict() -> Confirmed | None:
        again = repeated()
        if again is not None:
            return again
        if session.scalar(sa.select(BookingRecord.id).where(BookingRecord.open_key == open_key)) is not None:
            raise OpenBookingExists(hold.service_id)
        return None

    try:
        return _retrying(
            session,
            work,
            on_conflict,
            give_up=lambda: _unavailable(session, calendars, hold.office_id, from_db(hold.start_at), settings, now),
        )
    except AppointmentError:
        session.rollback()
        raise


# --- look-ups with code and e-mail ---------------------------------------------------------------


def verify_booking(
    session: Session, code: str, email: str, *, now: datetime, settings: BackendSettings
) -> BookingRecord:
    """The booking of this address with this code; BookingNotVerified or BookingLocked otherwise.

    Every check is counted for the address (known or not) before a code is compared, as for case
    access codes (lockout.py): after `lockout_attempts` failures in `lockout_minutes` the address is
    locked until the window ends; a right code clears the count."""
    mailbox = email_key(email)
    window = settings.lockout_minutes * 60
    attempts, window_start = count_attempt(session, BOOKING_KEY_PREFIX + mailbox[:32], _epoch(now), window)
    locked_until = datetime.fromtimestamp(window_start + window, timezone.utc)
    if attempts > settings.lockout_attempts:
        raise BookingLocked(locked_until, now)
    candidates: list[BookingRecord] = list(
        session.scalars(
            sa.select(BookingRecord)
            .where(BookingRecord.email_key == mailbox)
            .order_by(BookingRecord.start_at.desc())
            .limit(LOOKUP_CANDIDATES)
        )
    )
    if not candidates:
        verify_access_code(code, DUMMY_HASH)  # the same time for an unknown address
    for booking in candidates:
        if verify_access_code(code, booking.code_hash):
            clear_attempts(session, BOOKING_KEY_PREFIX + mailbox[:32])
            return booking
    logger.info("booking look-up failed (%d of %d)", attempts, settings.lockout_attempts)
    if attempts >= settings.lockout_attempts:
        raise BookingLocked(locked_until, now)
    raise BookingNotVerified(settings.lockout_attempts - attempts)


def booking_by_token(session: Session, booking_id: int, token: str, purpose: str, secret: bytes) -> BookingRecord:
    booking: BookingRecord | None = session.get(BookingRecord, booking_id)
    if booking is None or not signature_matches(secret, token, purpose, str(booking.id), booking.code_nonce):
        raise InvalidLinkToken(purpose)
    return booking


def _changeable(booking: BookingRecord, now: datetime) -> None:
    if booking.status != "booked":
        raise BookingNotChangeable(booking.id, "cancelled" if booking.status == "cancelled" else "past")
    if from_db(booking.start_at) <= now:
        raise BookingNotChangeable(booking.id, "past")


def cancel_booking(
    session: Session, booking: BookingRecord, *, now: datetime, secret: bytes, settings: BackendSettings
) -> BookingRecord:
    _changeable(booking, now)
    booking_id = booking.id

    def work() -> BookingRecord:
        _bulk(session, sa.delete(SlotClaimRecord).where(SlotClaimRecord.booking_id == booking_id))
        current: BookingRecord = session.get(BookingRecord, booking_id, populate_existing=True)
        _changeable(current, now)
        current.status = "cancelled"
        current.open_key = None
        current.sequence += 1
        current.updated_at = to_db(now)
        notify(session, current, "cancelled", now=now, secret=secret, settings=settings)
        session.commit()
        logger.info("booking %d cancelled", booking_id)
        return current

    return _retrying(session, work)


def move_booking(
    session: Session,
    booking: BookingRecord,
    hold_id: str,
    *,
    now: datetime,
    secret: bytes,
    settings: BackendSettings,
) -> BookingRecord:
    """Move the booking to the held slot (same service, any office that gives it); code, id and
    the .ics link stay, the iCalendar SEQUENCE grows."""
    _changeable(booking, now)
    hold: HoldRecord | None = session.get(HoldRecord, hold_id)
    if hold is None:
        raise HoldNotFound(hold_id)
    if hold.booking_id is not None:
        raise HoldAlreadyUsed(hold_id)
    if hold.service_id != booking.service_id:
        raise WrongService(booking.service_id, hold.service_id)
    calendars = calendars_for(session, hold.service_id, hold.office_id)
    booking_id = booking.id
    session.commit()

    def work() -> BookingRecord:
        _bulk(session, sa.delete(SlotClaimRecord).where(SlotClaimRecord.booking_id == booking_id))
        current: BookingRecord = session.get(BookingRecord, booking_id, populate_existing=True)
        new_hold: HoldRecord | None = session.get(HoldRecord, hold_id, populate_existing=True)
        if new_hold is None:
            raise HoldNotFound(hold_id)
        if new_hold.booking_id is not None:
            raise HoldAlreadyUsed(hold_id)
        _changeable(current, now)
        start = from_db(new_hold.start_at)
        counter = None if start <= now else _reclaim(session, new_hold, calendars, booking_id, now)
        if counter is None:
            raise _unavailable(session, calendars, new_hold.office_id, start, settings, now)
        current.office_id = new_hold.office_id
        current.counter = counter
        current.start_at = new_hold.start_at
        current.end_at = to_db(plus_minutes(start, new_hold.minutes))
        current.sequence += 1
        current.updated_at = to_db(now)
        new_hold.booking_id = booking_id
        notify(session, current, "moved", now=now, secret=secret, settings=settings)
        session.commit()
        logger.info("booking %d moved to %s", booking_id, current.office_id)
        return current

    return _retrying(
        session,
        work,
        give_up=lambda: _unavailable(session, calendars, hold.office_id, from_db(hold.start_at), settings, now),
    )


# --- staff ---------------------------------------------------------------------------------------


def get_booking(session: Session, booking_id: int) -> BookingRecord:
    booking: BookingRecord | None = session.get(BookingRecord, booking_id)
    if booking is None:
        raise BookingNotFound(booking_id)
    return booking


def mark_no_show(session: Session, booking_id: int, now: datetime) -> BookingRecord:
    booking = get_booking(session, booking_id)
    if booking.status == "cancelled":
        raise BookingNotChangeable(booking_id, "cancelled")
    if from_db(booking.start_at) > now:
        raise BookingNotChangeable(booking_id, "future")
    booking.status = "no_show"
    booking.open_key = None
    booking.updated_at = to_db(now)
    session.commit()
    logger.info("booking %d marked as no-show", booking_id)
    return booking


def bookings_between(session: Session, office_id: str, start: datetime, end: datetime) -> list[BookingRecord]:
    return list(
        session.scalars(
            sa.select(BookingRecord)
            .where(
                BookingRecord.office_id == office_id,
                BookingRecord.start_at >= to_db(start),
                BookingRecord.start_at < to_db(end),
            )
            .order_by(BookingRecord.start_at, BookingRecord.counter)
        )
    )
