"""Pure opening-hours logic: is an office open at a given moment, when does that change, and which
public holidays close it. Holidays come in as a `{date: name}` mapping (built outside bot.core)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES_DE = {
    "mon": "Montag",
    "tue": "Dienstag",
    "wed": "Mittwoch",
    "thu": "Donnerstag",
    "fri": "Freitag",
    "sat": "Samstag",
    "sun": "Sonntag",
}
MONTH_NAMES_DE = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
# Far enough to find the next opening behind a week of regular hours plus a run of closed days.
_SEARCH_DAYS = 22

ClosedDays = Mapping[date, str]
"""Days on which every office is closed (public holidays), with the holiday's name."""


@dataclass(frozen=True)
class Interval:
    start: time
    end: time


@dataclass(frozen=True)
class Holiday:
    date: date
    name: str


def parse_interval(text: str) -> Interval:
    """Parse "08:00-12:00"; raises ValueError naming the text when malformed."""
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    except ValueError as exc:
        raise ValueError(f"invalid opening interval {text!r}, expected HH:MM-HH:MM") from exc
    if end <= start:
        raise ValueError(f"invalid opening interval {text!r}: end before start")
    return Interval(start, end)


def parse_week(hours: Mapping[str, list[str]]) -> dict[str, list[Interval]]:
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday keys {sorted(unknown)}, expected {WEEKDAYS}")
    return {day: sorted((parse_interval(t) for t in hours.get(day, [])), key=lambda i: i.start) for day in WEEKDAYS}


@dataclass(frozen=True)
class OpenState:
    open_now: bool
    # When open: closing time today. When closed: the next opening (local time), or None.
    changes_at: datetime | None
    # Set when today is a public holiday: every office is closed all day.
    closed_today: Holiday | None = None


def open_state(hours: Mapping[str, list[str]], now: datetime, closed_days: ClosedDays | None = None) -> OpenState:
    """`now` must be local time of the office (aware or naive, used as wall-clock time).
    No office opens on a day in `closed_days`; the next opening skips those days."""
    week = parse_week(hours)
    closed = closed_days or {}
    today = now.date()
    holiday = Holiday(today, closed[today]) if today in closed else None
    if holiday is None:
        for interval in week[WEEKDAYS[now.weekday()]]:
            if interval.start <= now.time() < interval.end:
                return OpenState(True, datetime.combine(today, interval.end, now.tzinfo))
    for offset in range(_SEARCH_DAYS):
        day = today + timedelta(days=offset)
        if day in closed:
            continue
        for interval in week[WEEKDAYS[day.weekday()]]:
            start = datetime.combine(day, interval.start, now.tzinfo)
            if start > now:
                return OpenState(False, start, holiday)
    return OpenState(False, None, holiday)


def week_of(moment: date) -> tuple[date, date]:
    """Monday and Sunday of the calendar week containing `moment`."""
    monday = moment - timedelta(days=moment.weekday())
    return monday, monday + timedelta(days=6)


def holidays_in_week(now: date, closed_days: ClosedDays) -> list[Holiday]:
    """The closed days of the week (Monday to Sunday) containing `now`, in date order."""
    monday, sunday = week_of(now)
    return [Holiday(day, closed_days[day]) for day in sorted(closed_days) if monday <= day <= sunday]


def day_text_de(day: date) -> str:
    """German weekday and date without the year, e.g. "Freitag, 1. Mai"."""
    return f"{WEEKDAY_NAMES_DE[WEEKDAYS[day.weekday()]]}, {day.day}. {MONTH_NAMES_DE[day.month - 1]}"


def format_week(hours: Mapping[str, list[str]]) -> list[str]:
    """One German line per weekday, e.g. "Montag: 08:00–12:00, 14:00–16:00 Uhr"."""
    week = parse_week(hours)
    lines = []
    for day in WEEKDAYS:
        intervals = week[day]
        if intervals:
            spans = ", ".join(f"{i.start:%H:%M}–{i.end:%H:%M}" for i in intervals)
            lines.append(f"{WEEKDAY_NAMES_DE[day]}: {spans} Uhr")
        else:
            lines.append(f"{WEEKDAY_NAMES_DE[day]}: geschlossen")
    return lines
