from datetime import datetime

import pytest

from bot.backend.opening_hours import format_week, open_state, parse_interval

HOURS = {
    "mon": ["08:00-12:00", "14:00-16:00"],
    "tue": [],
    "wed": ["08:00-12:00"],
    "thu": [],
    "fri": [],
    "sat": [],
    "sun": [],
}


def test_open_inside_an_interval_until_its_end():
    state = open_state(HOURS, datetime(2026, 11, 23, 9, 30))  # a Monday
    assert state.open_now and state.changes_at == datetime(2026, 11, 23, 12, 0)


def test_closed_at_lunch_opens_again_the_same_afternoon():
    state = open_state(HOURS, datetime(2026, 11, 23, 12, 0))
    assert not state.open_now and state.changes_at == datetime(2026, 11, 23, 14, 0)


def test_closed_in_the_evening_opens_on_the_next_opening_day():
    state = open_state(HOURS, datetime(2026, 11, 23, 17, 0))
    assert not state.open_now and state.changes_at == datetime(2026, 11, 25, 8, 0)


def test_never_open_has_no_next_opening():
    assert open_state({d: [] for d in HOURS}, datetime(2026, 11, 23, 9)).changes_at is None


def test_format_week_is_german():
    lines = format_week(HOURS)
    assert lines[0] == "Montag: 08:00–12:00, 14:00–16:00 Uhr" and lines[1] == "Dienstag: geschlossen"


@pytest.mark.parametrize("text", ["8-12", "12:00-08:00", "abc"])
def test_malformed_interval_names_the_text(text):
    with pytest.raises(ValueError, match=text):
        parse_interval(text)
