"""When the reminder of a booking is sent: the day before at 09:00 in the city's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.core.appointment_time import BERLIN

REMINDER_TIME = time(9, 0)


def schedule_for(booking_start: datetime, *, now: datetime | None = None, zone: ZoneInfo = BERLIN) -> datetime:
    """The reminder's `send_after` (aware, UTC) for a booking starting at `booking_start`: 09:00
    local time on the day before, or `now` when that moment has passed. `booking_start` must be
    aware: the backend stores naive UTC, the dialogue speaks Berlin time, and a guess between the
    two would send reminders an hour or two off."""
    if booking_start.tzinfo is None:
        raise ValueError(f"booking_start={booking_start.isoformat()} has no time zone")
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError(f"now={now.isoformat()} has no time zone")
    day_before = booking_start.astimezone(zone).date() - timedelta(days=1)
    planned = datetime.combine(day_before, REMINDER_TIME, tzinfo=zone)
    return max(planned, now).astimezone(timezone.utc)
