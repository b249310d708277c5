"""Appointment slots of an office calendar (pure: no database, no clock).

An office's calendar is its opening hours (the catalogue's `{"mon": ["07:30-12:30"], ...}`), its
parallel counters, the public holidays of the federal state and the closures staff enter. A
service's slots are the opening intervals cut into steps of the service's length, from the start of
each interval, on every counter: a 20-minute service in "08:00-09:00" starts at 08:00, 08:20 and
08:40; a step that would end after the interval is not offered.

Times are wall-clock times in Europe/Berlin. A slot is held or booked by *claiming* every
`GRID_MINUTES` unit it covers on one counter; a unit is an integer, minutes since the Unix epoch
(UTC), so that services of different lengths at one office can never overlap on a counter and the
database can enforce that with a unique key over (office, counter, unit). Lengths must therefore be
multiples of `GRID_MINUTES`. On the spring daylight-saving day a wall-clock start that does not exist
(02:00–02:59) is not offered; a slot's end is its start plus its length in real minutes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.core.opening_hours import WEEKDAYS, Interval, parse_week

BERLIN = ZoneInfo("Europe/Berlin")
GRID_MINUTES = 5
DEFAULT_MINUTES = 15
DEFAULT_COUNTERS = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class OfficeCalendar:
    """What one office offers for one service: opening hours, counters, the service's length."""

    office_id: str
    week: Mapping[str, list[Interval]]  # parse_week(...) of the catalogue's opening hours
    counters: int = DEFAULT_COUNTERS
    minutes: int = DEFAULT_MINUTES

    def __post_init__(self) -> None:
        if self.minutes <= 0 or self.minutes % GRID_MINUTES:
            raise ValueError(f"service length {self.minutes} is not a positive multiple of {GRID_MINUTES} minutes")
        if self.counters < 1:
            raise ValueError(f"office {self.office_id!r} needs at least one counter, got {self.counters}")

    @classmethod
    def from_hours(
        cls,
        office_id: str,
        hours: Mapping[str, list[str]],
        counters: int = DEFAULT_COUNTERS,
        minutes: int = DEFAULT_MINUTES,
    ) -> OfficeCalendar:
        return cls(office_id, parse_week(hours), counters, minutes)


@dataclass(frozen=True)
class Closure:
    """A time an office is closed (staff entered it), aware datetimes, end excluded."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Slot:
    office_id: str
    start: datetime  # aware, Europe/Berlin
    end: datetime
    free_counters: tuple[int, ...]  # counters (1-based) on which every unit is free, ascending


@dataclass(frozen=True)
class Filter:
    """Which slots the caller wants: start at or after `earliest` (aware), on these weekdays
    (0 = Monday), starting at or after `after` and before `before` (wall-clock, Europe/Berlin)."""

    earliest: datetime
    weekdays: frozenset[int] = frozenset(range(7))
    after: time | None = None
    before: time | None = None

    def admits(self, start: datetime) -> bool:
        if start < self.earliest or start.weekday() not in self.weekdays:
            return False
        clock = start.time()
        return (self.after is None or clock >= self.after) and (self.before is None or clock < self.before)


def unit_of(moment: datetime) -> int:
    """Minutes since the epoch (UTC) of an aware moment."""
    return int((moment - _EPOCH).total_seconds()) // 60


def moment_of(unit: int) -> datetime:
    """The aware moment (Europe/Berlin) a unit starts."""
    return (_EPOCH + timedelta(minutes=unit)).astimezone(BERLIN)


def units(start: datetime, minutes: int) -> list[int]:
    """The grid units a slot of `minutes` starting at `start` covers."""
    first = unit_of(start)
    return list(range(first, first + minutes, GRID_MINUTES))


def _exists(local: datetime) -> bool:
    """Whether a wall-clock time exists in its zone (not skipped by the spring change)."""
    wall = local.replace(tzinfo=None)
    return local.astimezone(timezone.utc).astimezone(BERLIN).replace(tzinfo=None) == wall


def _changes_offset(day: date) -> bool:
    """Whether the zone's offset changes during `day` (the two daylight-saving days of a year)."""
    start = datetime.combine(day, time(0), BERLIN)
    return start.utcoffset() != (start + timedelta(days=1)).utcoffset()


def day_starts(calendar: OfficeCalendar, day: date) -> Iterator[datetime]:
    """Wall-clock starts of the service's steps on `day` (aware, Europe/Berlin), ascending."""
    step = timedelta(minutes=calendar.minutes)
    check = _changes_offset(day)
    for interval in calendar.week[WEEKDAYS[day.weekday()]]:
        wall = datetime.combine(day, interval.start)
        end = datetime.combine(day, interval.end)
        while wall + step <= end:
            local = wall.replace(tzinfo=BERLIN)
            if not check or _exists(local):
                yield local
            wall += step


@dataclass(frozen=True)
class Candidate:
    """A step start the office offers, before claims are looked at."""

    start: datetime  # aware, Europe/Berlin
    end: datetime
    units: tuple[int, ...]


def candidates_of_day(
    calendar: OfficeCalendar,
    day: date,
    *,
    closed_days: Collection[date],
    closures: Collection[Closure],
    wanted: Filter,
) -> list[Candidate]:
    """The office's starts on `day` that are not on a public holiday, not in a closure and admitted
    by `wanted`, whether free or not."""
    if day in closed_days or day.weekday() not in wanted.weekdays:
        return []
    found = []
    for start in day_starts(calendar, day):
        if not wanted.admits(start):
            continue
        first = unit_of(start)
        end = moment_of(first + calendar.minutes)
        if any(closure.start < end and start < closure.end for closure in closures):
            continue
        found.append(Candidate(start, end, tuple(range(first, first + calendar.minutes, GRID_MINUTES))))
    return found


def free_counters(
    calendar: OfficeCalendar, covered: Iterable[int], taken: Collection[tuple[int, int]]
) -> tuple[int, ...]:
    """The counters (1-based, ascending) on which none of the units is in `taken` ((counter, unit))."""
    wanted_units = tuple(covered)
    return tuple(
        counter
        for counter in range(1, calendar.counters + 1)
        if not any((counter, unit) in taken for unit in wanted_units)
    )


def slots_of_day(
    calendar: OfficeCalendar,
    day: date,
    *,
    closed_days: Collection[date],
    closures: Collection[Closure],
    taken: Collection[tuple[int, int]],
    wanted: Filter,
) -> Iterator[Slot]:
    """The free slots of one office on one day: not on a public holiday, not overlapping a closure,
    admitted by `wanted`, with at least one counter on which no unit is in `taken` ((counter, unit))."""
    for candidate in candidates_of_day(calendar, day, closed_days=closed_days, closures=closures, wanted=wanted):
        free = free_counters(calendar, candidate.units, taken)
        if free:
            yield Slot(calendar.office_id, candidate.start, candidate.end, free)


def is_offered(calendar: OfficeCalendar, start: datetime, *, closed_days: Collection[date]) -> bool:
    """Whether `start` (aware) is one of the service's step starts at the office, ignoring closures
    and claims (the caller checks those)."""
    local = start.astimezone(BERLIN)
    return local.date() not in closed_days and local in set(day_starts(calendar, local.date()))
