from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.opening_hours import (
    Holiday,
    day_text_de,
    format_week,
    holidays_in_week,
    open_state,
    parse_interval,
    week_of,
)

BERLIN = ZoneInfo("Europe/Berlin")
HOURS = {
    "mon": ["08:00-12:00", "14:00-16:00"],
    "tue": [],
    "wed": ["08:00-12:00"],
    "thu": [],
    "fri": [],
    "sat": [],
    "sun": [],
}
WEEKDAYS_ONLY = {d: ["08:00-12:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []}
MAY_DAY = {date(2026, 5, 1): "Erster Mai"}
CHRISTMAS = {date(2026, 12, 25): "Erster Weihnachtstag", date(2026, 12, 26): "Zweiter Weihnachtstag"}


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Local wall-clock time of the offices."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_open_inside_an_interval_until_its_end():
    state = open_state(HOURS, at(2026, 11, 23, 9, 30))  # a Monday
    assert state.open_now and state.changes_at == at(2026, 11, 23, 12, 0)


def test_closed_at_lunch_opens_again_the_same_afternoon():
    state = open_state(HOURS, at(2026, 11, 23, 12, 0))
    assert not state.open_now and state.changes_at == at(2026, 11, 23, 14, 0)


def test_closed_in_the_evening_opens_on_the_next_opening_day():
    state = open_state(HOURS, at(2026, 11, 23, 17, 0))
    assert not state.open_now and state.changes_at == at(2026, 11, 25, 8, 0)


def test_never_open_has_no_next_opening():
    assert open_state({d: [] for d in HOURS}, at(2026, 11, 23, 9)).changes_at is None


def test_format_week_is_german():
    lines = format_week(HOURS)
    assert lines[0] == "Montag: 08:00–12:00, 14:00–16:00 Uhr" and lines[1] == "Dienstag: geschlossen"


@pytest.mark.parametrize("text", ["8-12", "12:00-08:00", "abc"])
def test_malformed_interval_names_the_text(text):
    with pytest.raises(ValueError, match=text):
        parse_interval(text)


# --- public holidays -----------------------------------------------------------------------------


def test_closed_all_day_on_a_public_holiday():
    state = open_state(WEEKDAYS_ONLY, at(2026, 5, 1, 9, 0), MAY_DAY)  # Friday, would be open
    assert not state.open_now and state.closed_today == Holiday(date(2026, 5, 1), "Erster Mai")
    assert state.changes_at == at(2026, 5, 4, 8, 0)  # Monday


def test_next_opening_skips_a_holiday():
    state = open_state(WEEKDAYS_ONLY, at(2026, 4, 30, 13, 0), MAY_DAY)  # Thursday afternoon
    assert not state.open_now and state.closed_today is None and state.changes_at == at(2026, 5, 4, 8, 0)


def test_next_opening_skips_consecutive_holidays():
    saturdays_too = WEEKDAYS_ONLY | {"sat": ["09:00-12:00"]}
    state = open_state(saturdays_too, at(2026, 12, 24, 13, 0), CHRISTMAS)
    assert state.changes_at == at(2026, 12, 28, 8, 0)


def test_office_open_one_day_a_week_whose_day_is_a_holiday_opens_a_week_later():
    mondays = {d: [] for d in HOURS} | {"mon": ["08:00-12:00"]}
    state = open_state(mondays, at(2026, 4, 4, 10, 0), {date(2026, 4, 6): "Ostermontag"})  # Saturday
    assert state.changes_at == at(2026, 4, 13, 8, 0)


def test_an_ordinary_day_is_not_affected_by_holidays_elsewhere():
    state = open_state(WEEKDAYS_ONLY, at(2026, 4, 29, 9, 0), MAY_DAY)
    assert state.open_now and state.closed_today is None and state.changes_at == at(2026, 4, 29, 12, 0)


def test_holidays_of_the_week_monday_to_sunday():
    days = MAY_DAY | CHRISTMAS | {date(2027, 1, 1): "Neujahr"}
    assert holidays_in_week(date(2026, 4, 27), days) == [Holiday(date(2026, 5, 1), "Erster Mai")]
    assert holidays_in_week(date(2026, 5, 3), days) == [Holiday(date(2026, 5, 1), "Erster Mai")]  # Sunday
    assert holidays_in_week(date(2026, 5, 4), days) == []
    assert [h.name for h in holidays_in_week(date(2026, 12, 23), days)] == [
        "Erster Weihnachtstag",
        "Zweiter Weihnachtstag",
    ]
    assert holidays_in_week(date(2026, 12, 30), days) == [Holiday(date(2027, 1, 1), "Neujahr")]


def test_week_of_and_german_day_text():
    assert week_of(date(2026, 5, 1)) == (date(2026, 4, 27), date(2026, 5, 3))
    assert day_text_de(date(2026, 5, 1)) == "Freitag, 1. Mai"
    assert day_text_de(date(2026, 12, 25)) == "Freitag, 25. Dezember"
    assert day_text_de(date(2026, 3, 2)) == "Montag, 2. März"
