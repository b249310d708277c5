"""bot.core.appointment_time: German date and time phrases, read for a fixed "now"."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import appointment_time
from bot.core.appointment_time import (
    ALL_WEEKDAYS,
    ASK_DAY,
    ASK_WHEN,
    BERLIN,
    Preference,
    Unreadable,
    format_slot,
    matches,
    parse_preference,
)
from tests.fuzz import ANY_TEXT

try:  # Python 3.11 renamed the regex parser; 3.10 (this project's) has sre_parse
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=BERLIN)  # a Tuesday
YEAR_END = datetime(2026, 12, 30, 16, 0, tzinfo=BERLIN)  # a Wednesday
MONTH_END = datetime(2026, 1, 30, 8, 0, tzinfo=BERLIN)  # a Friday
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def pref(
    first: date,
    last: date | None = None,
    start: time = time(0, 0),
    end: time | None = None,
    weekdays: set[int] | None = None,
    asap: bool = False,
) -> Preference:
    return Preference(first, last, start, end, frozenset(ALL_WEEKDAYS if weekdays is None else weekdays), asap)


def day(month: int, dom: int, year: int = 2026) -> date:
    return date(year, month, dom)


def on(moment: date, start: time = time(0, 0), end: time | None = None) -> Preference:
    return pref(moment, moment, start, end)


TODAY, TOMORROW = day(12, 1), day(12, 2)
MORNING, AFTERNOON = (time(8), time(12)), (time(12), time(18))

PHRASES_ON_A_TUESDAY = [
    # single days
    ("heute", on(TODAY)),
    ("morgen", on(TOMORROW)),
    ("übermorgen", on(day(12, 3))),
    ("uebermorgen", on(day(12, 3))),
    ("übermorgen Vormittag", on(day(12, 3), *MORNING)),
    ("morgen früh", on(TOMORROW, time(7), time(10))),
    ("Morgen Nachmittag bitte", on(TOMORROW, *AFTERNOON)),
    ("in 3 Tagen", on(day(12, 4))),
    ("heute in einer Woche", on(day(12, 8))),
    # weekdays: the coming one, strictly after today
    ("Dienstag", on(day(12, 8))),
    ("nächsten Dienstag", on(day(12, 8))),
    ("naechsten dienstag", on(day(12, 8))),
    ("kommenden Mittwoch", on(TOMORROW)),
    ("montag nachmittag", on(day(12, 7), *AFTERNOON)),
    ("diesen Freitag", on(day(12, 4))),
    ("diesen Dienstag", on(TODAY)),
    ("übernächsten Donnerstag", on(day(12, 10))),
    ("Dinstag", on(day(12, 8))),  # one letter missing
    ("donnerstga vormittags", on(day(12, 3), *MORNING)),  # two letters swapped
    # a weekday with a week: that weekday in that calendar week
    ("Dienstag nächste Woche", pref(day(12, 7), day(12, 13), weekdays={TUE})),
    ("nächste Woche Dienstag", pref(day(12, 7), day(12, 13), weekdays={TUE})),
    ("Dienstag in einer Woche", pref(day(12, 7), day(12, 13), weekdays={TUE})),
    ("Mittwoch in zwei Wochen", pref(day(12, 14), day(12, 20), weekdays={WED})),
    ("Montag oder Mittwoch", pref(TOMORROW, day(12, 7), weekdays={MON, WED})),
    # weeks, weekends, months
    ("diese Woche", pref(TODAY, day(12, 6))),
    ("nächste Woche", pref(day(12, 7), day(12, 13))),
    ("übernächste Woche", pref(day(12, 14), day(12, 20))),
    ("in zwei Wochen", pref(day(12, 14), day(12, 20))),
    ("Anfang nächster Woche", pref(day(12, 7), day(12, 8))),
    ("Mitte nächster Woche", pref(day(12, 8), day(12, 10))),
    ("Ende nächster Woche", pref(day(12, 10), day(12, 11))),
    ("Ende der Woche", pref(day(12, 3), day(12, 4))),
    ("am Wochenende", pref(day(12, 5), day(12, 6))),
    ("Ende des Monats", pref(day(12, 21), day(12, 31))),
    ("Anfang des Monats", pref(TODAY, day(12, 10))),
    ("nächsten Monat", pref(day(1, 1, 2027), day(1, 31, 2027))),
    ("Mitte Januar", pref(day(1, 11, 2027), day(1, 20, 2027))),
    # explicit dates; a weekday named with one must agree
    ("am 3.12.", on(day(12, 3))),
    ("am 3.12. ab 14 Uhr", on(day(12, 3), time(14))),
    ("3.12.2026", on(day(12, 3))),
    ("03.12.26", on(day(12, 3))),
    ("3. Dezember", on(day(12, 3))),
    ("3 dez 2026 um 10 Uhr", on(day(12, 3), time(10), time(11))),
    ("den 14.", on(day(12, 14))),
    ("Donnerstag, den 3.12.", pref(day(12, 3), day(12, 3), weekdays={THU})),
    ("1.11.", on(day(11, 1, 2027))),  # already past this year: next year's
    # open ranges
    ("ab Montag", pref(day(12, 7))),
    ("bis Freitag", pref(TODAY, day(12, 4))),
    ("ab dem 14.12.", pref(day(12, 14))),
    ("bis 14. Dezember", pref(TODAY, day(12, 14))),
    ("nach dem 20.12.", pref(day(12, 21))),
    # times of day
    ("nach 16 Uhr", pref(TODAY, start=time(16, 1))),
    ("ab 14 Uhr", pref(TODAY, start=time(14))),
    ("ab 3", pref(TODAY, start=time(15))),  # no office opens at three in the morning
    ("vor 10", pref(TODAY, end=time(10))),
    ("bis 10:30 Uhr", pref(TODAY, end=time(10, 30))),
    ("zwischen 9 und 11", pref(TODAY, start=time(9), end=time(11))),
    ("9-11 Uhr", pref(TODAY, start=time(9), end=time(11))),
    ("gegen 10", pref(TODAY, start=time(9, 30), end=time(10, 30))),
    ("nicht vor 10 Uhr", pref(TODAY, start=time(10))),
    ("nicht nach 16 Uhr", pref(TODAY, end=time(16, 1))),
    ("vormittags oder nachmittags", pref(TODAY, start=time(8), end=time(18))),
    ("nachmittags, aber vor 15 Uhr", pref(TODAY, start=time(12), end=time(15))),
    # weekdays allowed or excluded
    ("nicht montags", pref(TODAY, weekdays={TUE, WED, THU, FRI, SAT, SUN})),
    ("außer montags und freitags", pref(TODAY, weekdays={TUE, WED, THU, SAT, SUN})),
    ("nicht am Wochenende", pref(TODAY, weekdays={MON, TUE, WED, THU, FRI})),
    ("nur dienstags", pref(TODAY, weekdays={TUE})),
    ("werktags ab 15 Uhr", pref(TODAY, start=time(15), weekdays={MON, TUE, WED, THU, FRI})),
    ("nächste Woche, aber nicht am Montag", pref(day(12, 7), day(12, 13), weekdays={TUE, WED, THU, FRI, SAT, SUN})),
    # as soon as possible
    ("so bald wie möglich", pref(TODAY, asap=True)),
    ("schnellstmöglich", pref(TODAY, asap=True)),
    ("Egal wann", pref(TODAY, asap=True)),
    ("den nächsten freien Termin bitte, nachmittags", pref(TODAY, start=time(12), end=time(18), asap=True)),
    ("Ich hätte gern möglichst bald einen Termin", pref(TODAY, asap=True)),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES_ON_A_TUESDAY, ids=[t for t, _ in PHRASES_ON_A_TUESDAY])
def test_phrases_said_on_a_tuesday_morning(text, expected):
    assert parse_preference(text, NOW) == expected


AROUND_THE_YEAR_END = [
    ("morgen", on(day(12, 31))),
    ("übermorgen", on(day(1, 1, 2027))),
    ("nächste Woche", pref(day(1, 4, 2027), day(1, 10, 2027))),
    ("Ende dieser Woche", pref(day(12, 31), day(1, 1, 2027))),
    ("Ende des Monats", pref(day(12, 30), day(12, 31))),
    ("Anfang des Monats", pref(day(1, 1, 2027), day(1, 10, 2027))),  # this one is over: the next
    ("Anfang Dezember", pref(day(12, 1, 2027), day(12, 10, 2027))),
    ("den 14.", on(day(1, 14, 2027))),
    ("3.12.", on(day(12, 3, 2027))),
    ("am 3.1.", on(day(1, 3, 2027))),
    ("30.12.2026", on(day(12, 30))),
    ("Montag oder Freitag", pref(day(1, 1, 2027), day(1, 4, 2027), weekdays={MON, FRI})),
    ("in zwei Wochen", pref(day(1, 11, 2027), day(1, 17, 2027))),
]


@pytest.mark.parametrize(("text", "expected"), AROUND_THE_YEAR_END, ids=[t for t, _ in AROUND_THE_YEAR_END])
def test_phrases_said_on_december_30(text, expected):
    assert parse_preference(text, YEAR_END) == expected


AROUND_A_MONTH_END = [
    ("den 30.", on(day(1, 30))),
    ("den 31.", on(day(1, 31))),
    ("übermorgen", on(day(2, 1))),
    ("Ende nächsten Monats", pref(day(2, 21), day(2, 28))),  # February 2026 has 28 days
    ("Anfang nächster Woche", pref(day(2, 2), day(2, 3))),
]


@pytest.mark.parametrize(("text", "expected"), AROUND_A_MONTH_END, ids=[t for t, _ in AROUND_A_MONTH_END])
def test_phrases_said_on_january_30(text, expected):
    assert parse_preference(text, MONTH_END) == expected


def test_now_counts_in_berlin_time():
    # 23:30 UTC on 1 December is already 2 December in Berlin: "morgen" is 3 December
    late = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)
    assert parse_preference("morgen", late) == on(day(12, 3))


UNREADABLE = [
    ("irgendwann", ASK_WHEN),
    ("asdf qwertz", ASK_WHEN),
    ("", ASK_WHEN),
    ("31.2.", "Den 31.2. gibt es nicht. " + ASK_DAY),
    ("am 30.02.2027", "Den 30.2.2027 gibt es nicht. " + ASK_DAY),
    ("3.12.2025", "Der 3.12.2025 liegt in der Vergangenheit. " + ASK_DAY),
    ("Mittwoch, 3.12.", "Der 3.12. ist ein Donnerstag. " + ASK_DAY),
    ("am 14", ASK_DAY),  # a number that is not a date
    ("1.12. oder 15.12.", "Meinen Sie Dienstag, 1. Dezember oder Dienstag, 15. Dezember? "),
    ("nicht morgen", "Welche Tage passen Ihnen nicht?"),
    ("25 Uhr", "Um welche Uhrzeit passt es Ihnen?"),
    ("ab 16 Uhr, vor 10 Uhr", "Zu diesen Uhrzeiten passt kein Termin."),
    ("zwischen 11 und 9", "Um welche Uhrzeit passt es Ihnen?"),
    ("nur montags, am Dienstag", "Dazu passt kein Tag."),
]


@pytest.mark.parametrize(("text", "question"), UNREADABLE, ids=[text for text, _ in UNREADABLE])
def test_unreadable_phrases_get_a_question_back(text, question):
    answer = parse_preference(text, NOW)
    assert isinstance(answer, Unreadable)
    assert answer.question.startswith(question)
    assert answer.question.endswith((".", "?"))


def test_a_period_that_is_over_is_unreadable_but_what_is_left_of_it_is_not():
    assert parse_preference("Anfang dieser Woche", NOW) == on(TODAY)  # Monday over, Tuesday left
    assert isinstance(parse_preference("Anfang dieser Woche", datetime(2026, 12, 3, tzinfo=BERLIN)), Unreadable)
    assert parse_preference("Anfang der Woche", datetime(2026, 12, 3, tzinfo=BERLIN)) == pref(day(12, 7), day(12, 8))


def test_naive_now_is_a_programming_error():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_preference("morgen", datetime(2026, 12, 1, 9, 0))  # noqa: DTZ001


# --- slots against a preference --------------------------------------------------------------


def test_a_slot_fits_within_days_weekdays_and_time_window():
    preference = parse_preference("nächste Woche vormittags, nicht montags", NOW)
    assert isinstance(preference, Preference)
    assert matches(preference, datetime(2026, 12, 8, 8, 0, tzinfo=BERLIN))
    assert matches(preference, datetime(2026, 12, 8, 11, 45, tzinfo=BERLIN))
    assert not matches(preference, datetime(2026, 12, 8, 12, 0, tzinfo=BERLIN))  # the end is excluded
    assert not matches(preference, datetime(2026, 12, 8, 7, 45, tzinfo=BERLIN))
    assert not matches(preference, datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN))  # a Monday
    assert not matches(preference, datetime(2026, 12, 14, 9, 0, tzinfo=BERLIN))  # the week after
    assert not matches(preference, datetime(2026, 12, 4, 9, 0, tzinfo=BERLIN))  # this week


def test_nach_16_uhr_excludes_a_16_oclock_slot():
    preference = parse_preference("morgen nach 16 Uhr", NOW)
    assert isinstance(preference, Preference)
    assert not matches(preference, datetime(2026, 12, 2, 16, 0, tzinfo=BERLIN))
    assert matches(preference, datetime(2026, 12, 2, 16, 15, tzinfo=BERLIN))


def test_slots_on_the_day_summer_time_starts_are_judged_in_berlin_time():
    # 28 March 2027, 02:00 CET -> 03:00 CEST: 10:30 UTC is 12:30 in Berlin (11:30 on the day before)
    now = datetime(2027, 3, 26, 10, 0, tzinfo=BERLIN)
    sunday = parse_preference("am 28.3. vormittags", now)
    saturday = parse_preference("Samstag vormittags", now)
    assert sunday == on(day(3, 28, 2027), *MORNING)
    assert saturday == on(day(3, 27, 2027), *MORNING)
    assert datetime(2027, 3, 28, 10, 30, tzinfo=BERLIN).utcoffset() == timedelta(hours=2)
    assert not matches(sunday, datetime(2027, 3, 28, 10, 30, tzinfo=timezone.utc))
    assert matches(sunday, datetime(2027, 3, 28, 9, 30, tzinfo=timezone.utc))  # 11:30 CEST
    assert matches(saturday, datetime(2027, 3, 27, 10, 30, tzinfo=timezone.utc))  # 11:30 CET
    assert not matches(sunday, datetime(2027, 3, 27, 22, 30, tzinfo=timezone.utc))  # 23:30 on the 27th
    assert format_slot(datetime(2027, 3, 28, 8, 15, tzinfo=timezone.utc)) == "Sonntag, 28. März 2027, 10:15 Uhr"
    assert format_slot(datetime(2027, 3, 28, 0, 30, tzinfo=timezone.utc)) == "Sonntag, 28. März 2027, 01:30 Uhr"


def test_naive_slots_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        matches(pref(TODAY), datetime(2026, 12, 1, 9, 0))  # noqa: DTZ001


def test_format_slot_writes_the_absolute_date():
    assert format_slot(datetime(2026, 12, 8, 10, 15, tzinfo=BERLIN)) == "Dienstag, 8. Dezember 2026, 10:15 Uhr"
    assert format_slot(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)) == "Freitag, 1. Januar 2027, 00:30 Uhr"


# --- properties ----------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "morgen",
        "übermorgen",
        "heute",
        "nächsten",
        "nächste",
        "diese",
        "Woche",
        "Wochenende",
        "Dienstag",
        "dienstags",
        "nicht",
        "nur",
        "ab",
        "bis",
        "vor",
        "nach",
        "um",
        "zwischen",
        "und",
        "oder",
        "in",
        "zwei",
        "Wochen",
        "Tagen",
        "Anfang",
        "Mitte",
        "Ende",
        "des",
        "Monats",
        "Dezember",
        "vormittags",
        "Uhr",
        "14",
        "3.",
        "12.",
        "1.12.",
        "31.2.",
        "14:30",
        "9-11",
        "den",
        "am",
        "so",
        "bald",
        "wie",
        "möglich",
        "-",
        ".",
        ":",
        "2026",
        "0",
        "99",
    ]
)
PHRASES = st.lists(WORDS, max_size=40).map(" ".join)
HOSTILE = st.sampled_from(["1.", "1:1", "ab 1 ", "zwischen 1 und ", "nicht ", "a", " ", "11.11.", "9-", "uhr"])
RUNS = st.tuples(HOSTILE, st.integers(min_value=1, max_value=600)).map(lambda pair: pair[0] * pair[1])


@given(ANY_TEXT.map(lambda text: text[:3000]) | PHRASES | RUNS)
@settings(max_examples=400, deadline=None)
def test_parse_never_raises_and_answers_with_a_preference_or_a_question(text):
    for now in (NOW, YEAR_END):
        answer = parse_preference(text, now)
        assert isinstance(answer, Preference | Unreadable)
        if isinstance(answer, Preference):
            assert answer.earliest_day >= now.date()
            assert answer.latest_day is None or answer.latest_day >= answer.earliest_day
            assert answer.latest_time is None or answer.latest_time > answer.earliest_time
            assert answer.weekdays
        else:
            assert answer.question.endswith((".", "?"))


def _repeats(tree, inside_repeat: bool = False) -> list[str]:
    """Quantifiers (more than once) nested in another quantifier (more than once): backtracking risk."""
    problems = []
    for op, argument in tree:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            _low, high, body = argument
            repeated = high is sre_parse.MAXREPEAT or high > 1
            if repeated and inside_repeat:
                problems.append(name)
            problems += _repeats(body, inside_repeat or repeated)
        elif name == "SUBPATTERN":
            problems += _repeats(argument[-1], inside_repeat)
        elif name == "BRANCH":
            for branch in argument[1]:
                problems += _repeats(branch, inside_repeat)
        elif name in ("ASSERT", "ASSERT_NOT"):
            problems += _repeats(argument[1], inside_repeat)
    return problems


PATTERNS = [value for value in vars(appointment_time).values() if isinstance(value, re.Pattern)]


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.pattern[:40] for p in PATTERNS])
def test_no_regex_nests_quantifiers(pattern):
    assert _repeats(sre_parse.parse(pattern.pattern)) == []


def test_the_nested_quantifier_check_finds_one():
    assert _repeats(sre_parse.parse(r"(a+)+b")) == ["MAX_REPEAT"]
    assert _repeats(sre_parse.parse(r"(?:ab)?c+")) == []


NAIVE_RANGE = {"min_value": datetime(1900, 1, 2), "max_value": datetime(2200, 1, 1)}  # noqa: DTZ001 (hypothesis wants naive bounds)


@given(st.datetimes(**NAIVE_RANGE, timezones=st.just(timezone.utc)))
def test_format_slot_names_the_local_year_weekday_and_time(moment):
    local = moment.astimezone(BERLIN)
    text = format_slot(moment)
    assert f" {local.year}, " in text
    assert text.endswith(f", {local.hour:02d}:{local.minute:02d} Uhr")
    weekday = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")[local.weekday()]
    assert text.startswith(f"{weekday}, {local.day}. ")
