"""The citizen side of appointments: free slots, holds, confirmation, look-up, cancel, move, .ics,
and the office feeds staff subscribe to (docs/appointments.md). Errors are domain exceptions,
mapped to HTTP in backend/app.py."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Header, HTTPException, Path, Query, Response

from bot.backend.appointments import bookings as store
from bot.backend.appointments.calendars import (
    appointment_kind,
    calendars_for,
    earliest_start,
    find_slots,
    from_db,
    midnight,
    plus_minutes,
)
from bot.backend.appointments.codes import signature_matches
from bot.backend.appointments.ics import CONTENT_TYPE, booking_ics, office_feed
from bot.backend.appointments.links import FEED, ICS, ics_path
from bot.backend.appointments.schemas import (
    HOLD_ID_REGEX,
    ID_REGEX,
    AppointmentErrorOut,
    BookingOut,
    CancelIn,
    CodeIn,
    ConfirmedOut,
    ConfirmIn,
    HoldIn,
    HoldOut,
    MoveIn,
    OfficeOutBrief,
    ServiceBrief,
    SlotOut,
    SlotsOut,
)
from bot.backend.appointments.tables import BookingRecord, HoldRecord
from bot.backend.catalogue import get_office
from bot.backend.deps import AppointmentSecretDep, ClockDep, SessionDep, SettingsDep
from bot.backend.errors import InvalidLinkToken
from bot.backend.schemas import OfficeRef
from bot.backend.tables import OfficeRecord, ServiceRecord
from bot.core.appointment_slots import BERLIN, Filter, Slot
from bot.core.appointment_time import format_slot

router = APIRouter(prefix="/api/appointments", tags=["appointments"])

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": AppointmentErrorOut},
    404: {"model": AppointmentErrorOut},
    409: {"model": AppointmentErrorOut},
    422: {"model": AppointmentErrorOut},
    423: {"model": AppointmentErrorOut},
    429: {"model": AppointmentErrorOut},
}
MAX_RANGE_DAYS = 92
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180
IDEMPOTENCY_KEY_REGEX = r"^[\x21-\x7e]{16,200}$"


def slot_out(slot: Slot, offices: dict[str, OfficeRecord]) -> SlotOut:
    office = offices.get(slot.office_id)
    return SlotOut(
        office=OfficeRef(id=slot.office_id, name=office.name if office else slot.office_id),
        start=slot.start,
        end=slot.end,
        label=format_slot(slot.start),
        free_counters=len(slot.free_counters),
    )


def service_brief(service: ServiceRecord) -> ServiceBrief:
    return ServiceBrief(id=service.id, name=service.name, appointment=appointment_kind(service))


def _address(office: OfficeRecord | None, office_id: str) -> OfficeOutBrief:
    if office is None:
        return OfficeOutBrief(id=office_id, name=office_id, address="")
    return OfficeOutBrief(
        id=office.id, name=office.name, address=f"{office.street}, {office.postal_code} {office.city}"
    )


def booking_out(session: SessionDep, booking: BookingRecord, secret: bytes) -> BookingOut:
    service: ServiceRecord | None = session.get(ServiceRecord, booking.service_id)
    office: OfficeRecord | None = session.get(OfficeRecord, booking.office_id)
    start = from_db(booking.start_at)
    return BookingOut(
        id=booking.id,
        status=booking.status,
        service=service_brief(service)
        if service
        else ServiceBrief(id=booking.service_id, name=booking.service_id, appointment="none"),
        office=_address(office, booking.office_id),
        start=start,
        end=from_db(booking.end_at),
        label=format_slot(start),
        documents=list(service.documents) if service else [],
        ics_url=ics_path(booking, secret),
    )


def _bad_query(problem: str) -> HTTPException:
    return HTTPException(status_code=422, detail=f"Ungültige Anfrage – {problem}")


def _weekdays(text: str | None) -> frozenset[int]:
    if not text:
        return frozenset(range(7))
    try:
        days = frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        days = frozenset({-1})
    if not days or not days <= set(range(7)):
        raise _bad_query("weekdays: Wochentage als Zahlen 0 (Montag) bis 6 (Sonntag), durch Kommas getrennt")
    return days


@router.get(
    "/slots",
    response_model=SlotsOut,
    summary="Free slots of a service, nearest first, across the offices that give it",
    responses=ERRORS,
)
def slots(
    session: SessionDep,
    settings: SettingsDep,
    now: ClockDep,
    service: str = Query(..., pattern=ID_REGEX, examples=["reisepass"]),
    office: str | None = Query(None, pattern=ID_REGEX, description="Only this office."),
    first_day: Annotated[date | None, Query(alias="from", description="First day (default today).")] = None,
    last_day: Annotated[date | None, Query(alias="to", description="Last day, inclusive (default: 4 weeks).")] = None,
    limit: int = Query(10, ge=1, le=200),
    after: Annotated[time | None, Query(description="Start at or after this time of day (Europe/Berlin).")] = None,
    before: Annotated[time | None, Query(description="Start before this time of day.")] = None,
    weekdays: str | None = Query(None, max_length=40, description="Allowed weekdays, 0 = Monday: 0,1,2"),
) -> SlotsOut:
    today = now.astimezone(BERLIN).date()
    first = max(first_day or today, today)
    if first > today + timedelta(days=366):
        raise _bad_query("from: höchstens ein Jahr im Voraus")
    last = last_day or first + timedelta(days=settings.appointment_horizon_days - 1)
    allowed = _weekdays(weekdays)
    if last < first or (last - first).days >= MAX_RANGE_DAYS:
        raise _bad_query(f"to: muss zwischen from und {MAX_RANGE_DAYS} Tagen danach liegen")
    found = calendars_for(session, service, office)
    earliest = max(earliest_start(now, settings.appointment_lead_minutes), midnight(first))
    # Times of day are Europe/Berlin wall-clock times; an offset sent with one is ignored.
    wanted = Filter(
        earliest,
        allowed,
        after.replace(tzinfo=None) if after else None,
        before.replace(tzinfo=None) if before else None,
    )
    result = find_slots(
        session,
        found.calendars,
        first_day=first,
        last_day=last,
        wanted=wanted,
        federal_state=settings.federal_state,
        now=now,
        limit=limit,
    )
    offices = dict(found.offices)
    return SlotsOut(
        service=service_brief(found.service),
        first_day=first,
        last_day=last,
        slots=[slot_out(slot, offices) for slot in result],
    )


def hold_out(session: SessionDep, hold: HoldRecord) -> HoldOut:
    service: ServiceRecord = session.get(ServiceRecord, hold.service_id)
    office = get_office(session, hold.office_id)
    start = from_db(hold.start_at)
    return HoldOut(
        id=hold.id,
        service=service_brief(service),
        office=OfficeRef(id=office.id, name=office.name),
        start=start,
        end=plus_minutes(start, hold.minutes),
        label=format_slot(start),
        expires_at=from_db(hold.expires_at),
    )


@router.post(
    "/holds",
    response_model=HoldOut,
    status_code=201,
    summary="Reserve a slot for a few minutes while the citizen confirms",
    responses=ERRORS,
)
def place_hold(body: HoldIn, session: SessionDep, settings: SettingsDep, now: ClockDep) -> HoldOut:
    hold = store.place_hold(
        session,
        service_id=body.service,
        office_id=body.office,
        start=body.start,
        client_key=body.client_key,
        now=now,
        settings=settings,
    )
    return hold_out(session, hold)


@router.delete("/holds/{hold_id}", status_code=204, summary="Give a held slot back", responses=ERRORS)
def release_hold(session: SessionDep, hold_id: str = Path(..., pattern=HOLD_ID_REGEX)) -> Response:
    store.release_hold(session, hold_id)
    return Response(status_code=204)


@router.post(
    "/holds/{hold_id}/confirm",
    response_model=ConfirmedOut,
    status_code=201,
    summary="Book the held slot (idempotent with the Idempotency-Key header)",
    responses={**ERRORS, 200: {"model": ConfirmedOut, "description": "A repeated confirm: the same booking."}},
)
def confirm(
    body: ConfirmIn,
    session: SessionDep,
    settings: SettingsDep,
    now: ClockDep,
    secret: AppointmentSecretDep,
    response: Response,
    hold_id: str = Path(..., pattern=HOLD_ID_REGEX),
    idempotency_key: str = Header(..., pattern=IDEMPOTENCY_KEY_REGEX, description="16–200 printable ASCII characters"),
) -> ConfirmedOut:
    confirmed = store.confirm_hold(
        session,
        hold_id=hold_id,
        name=body.name,
        email=body.email,
        idempotency_key=idempotency_key,
        now=now,
        secret=secret,
        settings=settings,
    )
    if not confirmed.created:
        response.status_code = 200
    out = booking_out(session, confirmed.booking, secret)
    return ConfirmedOut(**out.dict(), code=confirmed.code, repeated=not confirmed.created)


@router.post("/find", response_model=BookingOut, summary="A booking by its code and e-mail address", responses=ERRORS)
def find(
    body: CodeIn, session: SessionDep, settings: SettingsDep, now: ClockDep, secret: AppointmentSecretDep
) -> BookingOut:
    booking = store.verify_booking(session, body.code, body.email, now=now, settings=settings)
    return booking_out(session, booking, secret)


@router.post(
    "/cancel",
    response_model=BookingOut,
    summary="Cancel: code and e-mail, or booking id and the token of the e-mail link",
    responses=ERRORS,
)
def cancel(
    body: CancelIn, session: SessionDep, settings: SettingsDep, now: ClockDep, secret: AppointmentSecretDep
) -> BookingOut:
    if body.code is not None and body.email is not None:
        booking = store.verify_booking(session, body.code, body.email, now=now, settings=settings)
    else:
        assert body.booking_id is not None and body.token is not None  # the schema's root validator
        booking = store.booking_by_token(session, body.booking_id, body.token, "cancel", secret)
    cancelled = store.cancel_booking(session, booking, now=now, secret=secret, settings=settings)
    return booking_out(session, cancelled, secret)


@router.post("/move", response_model=BookingOut, summary="Move a booking to a held slot", responses=ERRORS)
def move(
    body: MoveIn, session: SessionDep, settings: SettingsDep, now: ClockDep, secret: AppointmentSecretDep
) -> BookingOut:
    booking = store.verify_booking(session, body.code, body.email, now=now, settings=settings)
    moved = store.move_booking(session, booking, body.hold_id, now=now, secret=secret, settings=settings)
    return booking_out(session, moved, secret)


@router.get(
    "/bookings/{booking_id}.ics",
    response_class=Response,
    summary="The booking as an iCalendar file (the signed link of the confirmation)",
    responses={200: {"content": {"text/calendar": {}}}, 403: {"model": AppointmentErrorOut}},
)
def booking_calendar(
    session: SessionDep,
    now: ClockDep,
    secret: AppointmentSecretDep,
    booking_id: int = Path(..., ge=1, le=2**62),
    token: str = Query("", max_length=100),
) -> Response:
    booking = store.booking_by_token(session, booking_id, token, ICS, secret)
    service: ServiceRecord | None = session.get(ServiceRecord, booking.service_id)
    office: OfficeRecord | None = session.get(OfficeRecord, booking.office_id)
    return Response(
        booking_ics(booking, service, office, now),
        media_type=CONTENT_TYPE,
        headers={"Content-Disposition": f'attachment; filename="termin-{booking.id}.ics"', "Cache-Control": "no-store"},
    )


@router.get(
    "/feeds/{office_id}.ics",
    response_class=Response,
    summary="An office's bookings as an iCalendar feed (token from the staff route)",
    responses={200: {"content": {"text/calendar": {}}}, 403: {"model": AppointmentErrorOut}},
)
def feed(
    session: SessionDep,
    now: ClockDep,
    secret: AppointmentSecretDep,
    office_id: str = Path(..., pattern=ID_REGEX),
    token: str = Query("", max_length=100),
) -> Response:
    if not signature_matches(secret, token, FEED, office_id):
        raise InvalidLinkToken("feed")
    office = get_office(session, office_id)
    start = midnight(now.astimezone(BERLIN).date() - timedelta(days=FEED_DAYS_BACK))
    bookings = store.bookings_between(
        session, office_id, start, start + timedelta(days=FEED_DAYS_BACK + FEED_DAYS_AHEAD)
    )
    services = services_of(session, {b.service_id for b in bookings})
    return Response(
        office_feed(office, bookings, services, now), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"}
    )


def services_of(session: SessionDep, service_ids: set[str]) -> dict[str, ServiceRecord]:
    records = session.scalars(sa.select(ServiceRecord).where(ServiceRecord.id.in_(sorted(service_ids))))
    return {record.id: record for record in records}
