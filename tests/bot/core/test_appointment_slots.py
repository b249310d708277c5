"""Slots of an office calendar: service-length steps, counters, holidays, closures, filters and the
daylight-saving days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.core.appointment_slots import (
    BERLIN,
    GRID_MINUTES,
    Closure,
    Filter,
    OfficeCalendar,
    day_starts,
    is_offered,
    moment_of,
    slots_of_day,
    unit_of,
    units,
)

MONDAY = date(2026, 11, 30)
HOURS = {"mon": ["08:00-09:00", "14:00-15:00"], "tue": ["08:00-12:00"], "sun": []}
ANY_TIME = Filter(datetime(2000, 1, 1, tzinfo=timezone.utc))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


def starts(calendar: OfficeCalendar, day: date, **kwargs: object) -> list[str]:
    options: dict[str, object] = {"closed_days": (), "closures": (), "taken": set(), "wanted": ANY_TIME} | kwargs
    return [f"{s.start:%H:%M}" for s in slots_of_day(calendar, day, **options)]  # type: ignore[arg-type]


def test_intervals_are_cut_into_steps_of_the_service_length():
    assert starts(OfficeCalendar.from_hours("a", HOURS, minutes=20), MONDAY) == [
        "08:00", "08:20", "08:40", "14:00", "14:20", "14:40"
    ]  # fmt: skip
    # A step that would end after the interval is not offered: 08:50 + 25 minutes is past 09:00.
    assert starts(OfficeCalendar.from_hours("a", HOURS, minutes=25), MONDAY) == ["08:00", "08:25", "14:00", "14:25"]
    assert starts(OfficeCalendar.from_hours("a", HOURS, minutes=90), MONDAY) == []
    assert starts(OfficeCalendar.from_hours("a", HOURS), MONDAY + timedelta(days=6)) == []  # Sunday, closed


def test_default_length_and_counters():
    calendar = OfficeCalendar.from_hours("a", HOURS)
    assert (calendar.minutes, calendar.counters) == (15, 1)
    assert len(starts(calendar, MONDAY)) == 8


@pytest.mark.parametrize("minutes", [0, -5, 7, 12])
def test_lengths_must_be_multiples_of_the_grid(minutes):
    with pytest.raises(ValueError, match=str(minutes)):
        OfficeCalendar.from_hours("a", HOURS, minutes=minutes)
    with pytest.raises(ValueError, match="counter"):
        OfficeCalendar.from_hours("a", HOURS, counters=0)


def test_a_slot_is_free_while_one_counter_has_all_its_units_free():
    calendar = OfficeCalendar.from_hours("a", HOURS, counters=2, minutes=20)
    # A 15-minute booking at 08:15 on counter 1 overlaps the 20-minute slots at 08:00 and 08:20.
    taken = {(1, unit) for unit in units(at(MONDAY, 8, 15), 15)}
    slots = {f"{s.start:%H:%M}": s.free_counters for s in slots_of_day(
        calendar, MONDAY, closed_days=(), closures=(), taken=taken, wanted=ANY_TIME
    )}  # fmt: skip
    assert slots["08:00"] == (2,) and slots["08:20"] == (2,) and slots["08:40"] == (1, 2)
    both = taken | {(2, unit) for unit in units(at(MONDAY, 8, 0), 20)}
    assert "08:00" not in starts(calendar, MONDAY, taken=both)
    assert "08:20" in starts(calendar, MONDAY, taken=both)


def test_public_holidays_close_the_whole_day():
    calendar = OfficeCalendar.from_hours("a", HOURS)
    assert starts(calendar, MONDAY, closed_days={MONDAY: "Testfeiertag"}) == []
    assert not is_offered(calendar, at(MONDAY, 8), closed_days={MONDAY})
    assert is_offered(calendar, at(MONDAY, 8), closed_days=set())


def test_closures_remove_the_slots_they_overlap():
    calendar = OfficeCalendar.from_hours("a", HOURS, minutes=20)
    closure = Closure(at(MONDAY, 8, 10), at(MONDAY, 8, 40))
    # 08:00–08:20 and 08:20–08:40 overlap it; 08:40 starts where it ends.
    assert starts(calendar, MONDAY, closures=[closure]) == ["08:40", "14:00", "14:20", "14:40"]
    whole_day = Closure(at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))
    assert starts(calendar, MONDAY, closures=[whole_day]) == []


def test_filters_by_earliest_start_weekday_and_time_of_day():
    calendar = OfficeCalendar.from_hours("a", HOURS)
    assert starts(calendar, MONDAY, wanted=Filter(at(MONDAY, 8, 31))) == [
        "08:45", "14:00", "14:15", "14:30", "14:45"
    ]  # fmt: skip
    afternoon = Filter(ANY_TIME.earliest, after=time(14, 15), before=time(14, 45))
    assert starts(calendar, MONDAY, wanted=afternoon) == ["14:15", "14:30"]
    assert starts(calendar, MONDAY, wanted=Filter(ANY_TIME.earliest, weekdays=frozenset({1}))) == []


def test_spring_forward_skips_the_missing_hour_and_keeps_real_lengths():
    night = OfficeCalendar.from_hours("a", {"sun": ["01:00-04:00"]}, minutes=30)
    change = date(2026, 3, 29)
    slots = list(slots_of_day(night, change, closed_days=(), closures=(), taken=set(), wanted=ANY_TIME))
    assert [f"{s.start:%H:%M%z}" for s in slots] == ["01:00+0100", "01:30+0100", "03:00+0200", "03:30+0200"]
    utc = timezone.utc
    assert [(s.end.astimezone(utc) - s.start.astimezone(utc)) for s in slots] == [timedelta(minutes=30)] * 4
    assert slots[1].end == slots[2].start  # 01:30 CET + 30 minutes is 03:00 CEST
    covered = [set(units(s.start, 30)) for s in slots]
    assert all(not (a & b) for i, a in enumerate(covered) for b in covered[i + 1 :])


def test_fall_back_offers_the_repeated_hour_once():
    night = OfficeCalendar.from_hours("a", {"sun": ["01:00-04:00"]}, minutes=60)
    slots = list(day_starts(night, date(2026, 10, 25)))
    assert [f"{s:%H:%M%z}" for s in slots] == ["01:00+0200", "02:00+0200", "03:00+0100"]
    assert len({unit_of(s) for s in slots}) == 3


def test_office_hours_keep_their_wall_clock_across_the_change():
    calendar = OfficeCalendar.from_hours("a", {"fri": ["08:00-09:00"], "mon": ["08:00-09:00"]})
    friday, monday = date(2026, 3, 27), date(2026, 3, 30)
    assert next(iter(day_starts(calendar, friday))).isoformat() == "2026-03-27T08:00:00+01:00"
    assert next(iter(day_starts(calendar, monday))).isoformat() == "2026-03-30T08:00:00+02:00"
    assert unit_of(at(monday, 8)) - unit_of(at(friday, 8)) == 3 * 24 * 60 - 60


def test_units_are_grid_minutes_since_the_epoch():
    start = at(MONDAY, 10, 15)
    assert units(start, 15) == [unit_of(start), unit_of(start) + 5, unit_of(start) + 10]
    assert unit_of(start) % GRID_MINUTES == 0
    assert moment_of(unit_of(start)) == start
    assert unit_of(datetime(1970, 1, 1, 1, tzinfo=timezone.utc)) == 60
