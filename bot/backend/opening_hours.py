"""Pure opening-hours logic: is an office open at a given moment, and when does that change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

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


@dataclass(frozen=True)
class Interval:
    start: time
    end: time


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


def parse_week(hours: dict[str, list[str]]) -> dict[str, list[Interval]]:
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday keys {sorted(unknown)}, expected {WEEKDAYS}")
    return {day: sorted((parse_interval(t) for t in hours.get(day, [])), key=lambda i: i.start) for day in WEEKDAYS}


@dataclass(frozen=True)
class OpenState:
    open_now: bool
    # When open: closing time today. When closed: the next opening (local time), or None.
    changes_at: datetime | None


def open_state(hours: dict[str, list[str]], now: datetime) -> OpenState:
    """`now` must be local time of the office (aware or naive, used as wall-clock time)."""
    week = parse_week(hours)
    today = WEEKDAYS[now.weekday()]
    for interval in week[today]:
        if interval.start <= now.time() < interval.end:
            return OpenState(True, datetime.combine(now.date(), interval.end, now.tzinfo))
    for offset in range(8):
        day = now.date() + timedelta(days=offset)
        for interval in week[WEEKDAYS[day.weekday()]]:
            start = datetime.combine(day, interval.start, now.tzinfo)
            if start > now:
                return OpenState(False, start)
    return OpenState(False, None)


def format_week(hours: dict[str, list[str]]) -> list[str]:
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
