"""The staff side of appointments, internal: an office's bookings (day and week views), closures,
no-shows and the feed address. Every route needs the backend's service token (deps.py); the
gateway's staff console calls them for signed-in staff."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Response

from bot.backend.appointments import bookings as store
from bot.backend.appointments.calendars import from_db, midnight, to_db
from bot.backend.appointments.links import feed_path
from bot.backend.appointments.schemas import (
    ID_REGEX,
    AppointmentErrorOut,
    ClosureIn,
    ClosureOut,
    FeedOut,
    StaffBookingOut,
)
from bot.backend.appointments.tables import BookingRecord, ClosureRecord
from bot.backend.catalogue import get_office
from bot.backend.deps import AppointmentSecretDep, ClockDep, ServiceCaller, SessionDep
from bot.backend.errors import ClosureNotFound
from bot.backend.schemas import ErrorOut
from bot.backend.tables import ServiceRecord
from bot.core.appointment_slots import BERLIN

from .appointments import services_of

router = APIRouter(prefix="/api/appointments", tags=["appointments (staff)"], dependencies=[ServiceCaller])

STAFF_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": AppointmentErrorOut},
}
MAX_VIEW_DAYS = 92
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _bounded(day: date) -> date:
    return min(max(day, FIRST_DAY), LAST_DAY)


def _range(now_day: date, first: date | None, last: date | None, default_days: int, most: int) -> tuple[date, date]:
    """from..to of a view, inclusive: at most `most` days, within 2000–2099."""
    start = _bounded(first or now_day)
    end = _bounded(last or start + timedelta(days=default_days - 1))
    end = max(start, min(end, _bounded(start + timedelta(days=most - 1))))
    return start, end


def staff_booking(booking: BookingRecord, services: dict[str, ServiceRecord]) -> StaffBookingOut:
    service = services.get(booking.service_id)
    return StaffBookingOut(
        id=booking.id,
        status=booking.status,
        service_id=booking.service_id,
        service_name=service.name if service else booking.service_id,
        office_id=booking.office_id,
        counter=booking.counter,
        start=from_db(booking.start_at),
        end=from_db(booking.end_at),
        name=booking.name,
        email=booking.email,
        created_at=from_db(booking.created_at),
    )


@router.get(
    "/offices/{office_id}/bookings",
    response_model=list[StaffBookingOut],
    summary="An office's bookings from..to (inclusive; default: the next 7 days), cancelled ones included",
    responses=STAFF_ERRORS,
)
def office_bookings(
    session: SessionDep,
    now: ClockDep,
    office_id: str = Path(..., pattern=ID_REGEX),
    first_day: Annotated[date | None, Query(alias="from")] = None,
    last_day: Annotated[date | None, Query(alias="to")] = None,
) -> list[StaffBookingOut]:
    get_office(session, office_id)
    first, last = _range(now.astimezone(BERLIN).date(), first_day, last_day, 7, MAX_VIEW_DAYS)
    found = store.bookings_between(session, office_id, midnight(first), midnight(last + timedelta(days=1)))
    services = services_of(session, {b.service_id for b in found})
    return [staff_booking(b, services) for b in found]


def closure_out(session: SessionDep, closure: ClosureRecord) -> ClosureOut:
    affected = session.scalars(
        sa.select(BookingRecord.id)
        .where(
            BookingRecord.office_id == closure.office_id,
            BookingRecord.status == "booked",
            BookingRecord.start_at < closure.end_at,
            BookingRecord.end_at > closure.start_at,
        )
        .order_by(BookingRecord.start_at)
    )
    return ClosureOut(
        id=closure.id,
        office_id=closure.office_id,
        start=from_db(closure.start_at),
        end=from_db(closure.end_at),
        reason=closure.reason,
        affected_bookings=list(affected),
    )


@router.get(
    "/offices/{office_id}/closures",
    response_model=list[ClosureOut],
    summary="Closures that end after from and start before to (default: from today on, a year)",
    responses=STAFF_ERRORS,
)
def list_closures(
    session: SessionDep,
    now: ClockDep,
    office_id: str = Path(..., pattern=ID_REGEX),
    first_day: Annotated[date | None, Query(alias="from")] = None,
    last_day: Annotated[date | None, Query(alias="to")] = None,
) -> list[ClosureOut]:
    get_office(session, office_id)
    first, last = _range(now.astimezone(BERLIN).date(), first_day, last_day, 366, 3660)
    rows = session.scalars(
        sa.select(ClosureRecord)
        .where(
            ClosureRecord.office_id == office_id,
            ClosureRecord.end_at > to_db(midnight(first)),
            ClosureRecord.start_at < to_db(midnight(last + timedelta(days=1))),
        )
        .order_by(ClosureRecord.start_at)
    )
    return [closure_out(session, closure) for closure in rows]


@router.post(
    "/offices/{office_id}/closures",
    response_model=ClosureOut,
    status_code=201,
    summary="Close an office for a time; bookings inside it are listed, not cancelled",
    responses=STAFF_ERRORS,
)
def add_closure(
    body: ClosureIn, session: SessionDep, now: ClockDep, office_id: str = Path(..., pattern=ID_REGEX)
) -> ClosureOut:
    get_office(session, office_id)
    closure = ClosureRecord(
        office_id=office_id,
        start_at=to_db(body.start),
        end_at=to_db(body.end),
        reason=body.reason,
        created_at=to_db(now),
    )
    session.add(closure)
    session.commit()
    return closure_out(session, closure)


def _closure(session: SessionDep, closure_id: int) -> ClosureRecord:
    closure: ClosureRecord | None = session.get(ClosureRecord, closure_id)
    if closure is None:
        raise ClosureNotFound(closure_id)
    return closure


@router.put("/closures/{closure_id}", response_model=ClosureOut, summary="Change a closure", responses=STAFF_ERRORS)
def change_closure(body: ClosureIn, session: SessionDep, closure_id: int = Path(..., ge=1, le=2**62)) -> ClosureOut:
    closure = _closure(session, closure_id)
    closure.start_at, closure.end_at, closure.reason = to_db(body.start), to_db(body.end), body.reason
    session.commit()
    return closure_out(session, closure)


@router.delete("/closures/{closure_id}", status_code=204, summary="Remove a closure", responses=STAFF_ERRORS)
def remove_closure(session: SessionDep, closure_id: int = Path(..., ge=1, le=2**62)) -> Response:
    session.delete(_closure(session, closure_id))
    session.commit()
    return Response(status_code=204)


@router.post(
    "/bookings/{booking_id}/no-show",
    response_model=StaffBookingOut,
    summary="Mark that the citizen did not come (only once the appointment has begun)",
    responses=STAFF_ERRORS,
)
def no_show(session: SessionDep, now: ClockDep, booking_id: int = Path(..., ge=1, le=2**62)) -> StaffBookingOut:
    booking = store.mark_no_show(session, booking_id, now)
    return staff_booking(booking, services_of(session, {booking.service_id}))


@router.get(
    "/offices/{office_id}/feed",
    response_model=FeedOut,
    summary="The address of the office's iCalendar feed, with its token (for staff calendars)",
    responses=STAFF_ERRORS,
)
def feed_address(
    session: SessionDep, secret: AppointmentSecretDep, office_id: str = Path(..., pattern=ID_REGEX)
) -> FeedOut:
    get_office(session, office_id)
    return FeedOut(url=feed_path(office_id, secret))
