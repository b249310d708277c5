"""Office calendars from the database, and the free-slot search over them.

The search reads what it needs in a few indexed queries: the offices that give the service (one
join), the closures of the window (one), and the live claims of the span the offered starts cover,
in growing chunks of days (stopping as soon as enough slots are found); the slots are cut in memory
(`bot.core.appointment_slots`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.backend.catalogue import get_service
from bot.backend.errors import NoAppointmentNeeded, OfficeDoesNotOffer
from bot.backend.tables import OfficeRecord, ServiceRecord
from bot.core.appointment_slots import (
    BERLIN,
    Closure,
    Filter,
    OfficeCalendar,
    Slot,
    candidates_of_day,
    free_counters,
)
from bot.core.opening_hours import parse_week
from bot.infra.holiday_calendar import closed_days

from .tables import CalendarRecord, ClosureRecord, OfficeServiceRecord, SlotClaimRecord

WEEK = 7


def to_db(moment: datetime) -> datetime:
    """An aware moment as stored: naive UTC."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_db(stored: datetime) -> datetime:
    """A stored naive-UTC moment, aware in Europe/Berlin."""
    return stored.replace(tzinfo=timezone.utc).astimezone(BERLIN)


def plus_minutes(moment: datetime, minutes: int) -> datetime:
    """`minutes` real minutes after an aware moment, in Europe/Berlin. (Adding a timedelta to a
    Berlin time adds wall-clock time, which is wrong across a daylight-saving change.)"""
    return (moment.astimezone(timezone.utc) + timedelta(minutes=minutes)).astimezone(BERLIN)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), BERLIN)


def appointment_kind(service: ServiceRecord) -> str:
    return str(service.appointment or ("required" if service.appointment_required else "none"))


@dataclass(frozen=True)
class ServiceCalendars:
    """The offices that give appointments for one service, with their calendars."""

    service: ServiceRecord
    calendars: tuple[OfficeCalendar, ...]
    offices: Mapping[str, OfficeRecord]

    def calendar(self, office_id: str) -> OfficeCalendar:
        for calendar in self.calendars:
            if calendar.office_id == office_id:
                return calendar
        raise OfficeDoesNotOffer(self.service.id, office_id)


def calendars_for(session: Session, service_id: str, office_id: str | None = None) -> ServiceCalendars:
    """The service's office calendars (only `office_id`'s when given). ServiceNotFound for an
    unknown service, NoAppointmentNeeded for one without appointments, OfficeDoesNotOffer."""
    service = get_service(session, service_id)
    if appointment_kind(service) == "none":
        raise NoAppointmentNeeded(service.id, service.online_url)
    query = (
        sa.select(OfficeServiceRecord.minutes, CalendarRecord.counters, OfficeRecord)
        .join(OfficeRecord, OfficeRecord.id == OfficeServiceRecord.office_id)
        .outerjoin(CalendarRecord, CalendarRecord.office_id == OfficeServiceRecord.office_id)
        .where(OfficeServiceRecord.service_id == service.id)
        .order_by(OfficeRecord.name)
    )
    if office_id is not None:
        query = query.where(OfficeServiceRecord.office_id == office_id)
    calendars, offices = [], {}
    for minutes, counters, office in session.execute(query):
        calendars.append(OfficeCalendar(office.id, parse_week(office.opening_hours), counters or 1, minutes))
        offices[office.id] = office
    if office_id is not None and not calendars:
        raise OfficeDoesNotOffer(service.id, office_id)
    return ServiceCalendars(service, tuple(calendars), offices)


def closures_between(
    session: Session, office_ids: Collection[str], start: datetime, end: datetime
) -> dict[str, list[Closure]]:
    rows = session.execute(
        sa.select(ClosureRecord.office_id, ClosureRecord.start_at, ClosureRecord.end_at).where(
            ClosureRecord.office_id.in_(list(office_ids)),
            ClosureRecord.end_at > to_db(start),
            ClosureRecord.start_at < to_db(end),
        )
    )
    closures: dict[str, list[Closure]] = defaultdict(list)
    for office_id, start_at, end_at in rows:
        closures[office_id].append(Closure(from_db(start_at), from_db(end_at)))
    return closures


def taken_between(
    session: Session, office_ids: Collection[str], first_unit: int, end_unit: int, now: datetime
) -> dict[str, set[tuple[int, int]]]:
    """(counter, unit) of every live claim (bookings, unexpired holds) per office in [first, end):
    one query on the (office, unit) index, run as plain SQL (no ORM rows: it may return thousands)."""
    claims = SlotClaimRecord.__table__.c
    query = sa.select(claims.office_id, claims.counter, claims.unit).where(
        claims.office_id.in_(list(office_ids)),
        claims.unit >= first_unit,
        claims.unit < end_unit,
        sa.or_(claims.expires_at.is_(None), claims.expires_at > to_db(now)),
    )
    taken: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for office_id, counter, unit in session.connection().execute(query):
        taken[office_id].add((counter, unit))
    return taken


def find_slots(
    session: Session,
    calendars: Collection[OfficeCalendar],
    *,
    first_day: date,
    last_day: date,
    wanted: Filter,
    federal_state: str,
    now: datetime,
    limit: int,
) -> list[Slot]:
    """The first `limit` free slots from `first_day` to `last_day` (inclusive) across the calendars,
    by start time (then office id).

    Day by day in growing chunks (1, 2, 4, then 7 days): the starts the offices offer in a chunk
    are cut first (opening hours, holidays, closures, the filter), then the claims of just the span
    those starts cover are read in one query, and the search stops once `limit` slots are found. A
    nearest-slot search reads one day of claims; a filter nothing matches reads none."""
    if not calendars or last_day < first_day:
        return []
    office_ids = [c.office_id for c in calendars]
    holidays = {**closed_days(federal_state, first_day), **closed_days(federal_state, last_day)}
    closures = closures_between(session, office_ids, midnight(first_day), midnight(last_day + timedelta(days=1)))
    found: list[Slot] = []
    chunk, size = first_day, 1
    while chunk <= last_day and len(found) < limit:
        days = [chunk + timedelta(days=n) for n in range(min(size, (last_day - chunk).days + 1))]
        offered = [
            (calendar, day, candidates_of_day(
                calendar, day, closed_days=holidays, closures=closures.get(calendar.office_id, ()), wanted=wanted
            ))
            for day in days
            for calendar in calendars
        ]  # fmt: skip
        units_offered = [unit for _, _, candidates in offered for c in candidates for unit in c.units]
        if units_offered:
            taken = taken_between(session, office_ids, min(units_offered), max(units_offered) + 1, now)
            for day in days:
                of_day = [
                    Slot(calendar.office_id, c.start, c.end, free)
                    for calendar, candidate_day, candidates in offered
                    if candidate_day == day
                    for c in candidates
                    if (free := free_counters(calendar, c.units, taken.get(calendar.office_id, set())))
                ]
                of_day.sort(key=lambda slot: (slot.start, slot.office_id))
                found.extend(of_day)
                if len(found) >= limit:
                    break
        chunk += timedelta(days=len(days))
        size = min(size * 2, WEEK)
    return found[:limit]


def earliest_start(now: datetime, lead_minutes: int) -> datetime:
    return plus_minutes(now, lead_minutes)


def next_slots(
    session: Session,
    calendars: Collection[OfficeCalendar],
    after: datetime,
    *,
    now: datetime,
    federal_state: str,
    lead_minutes: int,
    horizon_days: int,
    limit: int = 3,
) -> list[Slot]:
    """The free slots nearest after `after` (and not before the lead time), for a 409 answer."""
    earliest = max(after.astimezone(BERLIN), earliest_start(now, lead_minutes))
    today = now.astimezone(BERLIN).date()
    return find_slots(
        session,
        calendars,
        first_day=earliest.date(),
        last_day=max(earliest.date(), today + timedelta(days=horizon_days - 1)),
        wanted=Filter(earliest),
        federal_state=federal_state,
        now=now,
        limit=limit,
    )
