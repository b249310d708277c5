"""The reminder's moment: the day before at 09:00 Berlin time, in UTC, across daylight-saving
changes and the year end; right away when that has passed."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.backend.mail.schedule import schedule_for

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
EARLY = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2026, 12, 8, 10, 15, tzinfo=BERLIN), datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),  # CET
        (datetime(2026, 7, 1, 8, 0, tzinfo=BERLIN), datetime(2026, 6, 30, 7, 0, tzinfo=UTC)),  # CEST
        # The day before is the day the clocks go forward (29 March) or back (25 October).
        (datetime(2026, 3, 30, 8, 0, tzinfo=BERLIN), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        (datetime(2026, 10, 26, 8, 0, tzinfo=BERLIN), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
        (datetime(2027, 1, 1, 0, 30, tzinfo=BERLIN), datetime(2026, 12, 31, 8, 0, tzinfo=UTC)),
        # In UTC it is still the 7th, in Berlin already the 8th: the day before is the 7th.
        (datetime(2026, 12, 7, 23, 30, tzinfo=UTC), datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),
    ],
)
def test_the_day_before_at_nine_berlin_time(start, expected):
    assert schedule_for(start, now=EARLY) == expected


def test_right_away_when_nine_the_day_before_has_passed():
    now = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    assert schedule_for(datetime(2026, 12, 8, 10, 15, tzinfo=BERLIN), now=now) == now
    assert schedule_for(datetime(2026, 12, 7, 19, 0, tzinfo=UTC), now=now) == now


def test_the_result_is_aware_utc_with_the_real_clock():
    start = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1, month=1, day=15)
    assert schedule_for(start).tzinfo is UTC


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="booking_start"):
        schedule_for(datetime(2026, 12, 8, 10, 15))  # noqa: DTZ001 - what is refused
    with pytest.raises(ValueError, match="now"):
        schedule_for(datetime(2026, 12, 8, 10, 15, tzinfo=BERLIN), now=datetime(2026, 12, 1))  # noqa: DTZ001
