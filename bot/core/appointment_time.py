"""What a citizen's words say about when they want an appointment: a small grammar for German
date and time phrases ("übermorgen Vormittag", "nächsten Dienstag ab 14 Uhr", "nicht montags").

`parse_preference(text, now)` gives a `Preference` (a day range, a time-of-day window, allowed
weekdays, "as soon as possible") or an `Unreadable` with a German question to ask back: a phrase
the grammar cannot read, or reads as impossible, is never guessed at. `matches` decides whether a
slot fits a preference, `format_slot` writes a slot's absolute date for the confirmation.

Input is folded first (lower case, "ü" → "ue", "ß" → "ss"), so "uebermorgen" and "NÄCHSTEN
DIENSTAG" read the same; weekday and month names of six letters or more also match with one typo
(a wrong, missing, extra or swapped letter: "Dinstag", "Donnerstga"). Words the grammar does not
know are skipped ("ich hätte gern ... einen Termin"), but a number it cannot place, or a "nicht"
it cannot apply, makes the whole phrase unreadable. "Today" is `now`'s date in Europe/Berlin.

Rules for the ambiguous phrases (the confirmation always shows the absolute date, so a citizen who
meant another day sees it before booking):

- "Dienstag", "am Dienstag", "nächsten Dienstag", "kommenden Dienstag": the first Tuesday strictly
  after today (said on a Monday: tomorrow; said on a Tuesday: in a week). One rule for all four,
  because "nächsten" is used both ways and the plain weekday already means the coming one;
  "übernächsten Dienstag" is a week after that. "Diesen Dienstag" is the same but includes today.
- For the Tuesday of next week, unambiguously: "Dienstag nächste Woche", "nächste Woche Dienstag"
  or "Dienstag in einer Woche" — a weekday together with a week means that weekday in that
  calendar week (Monday to Sunday). "Dienstag in zwei Wochen" is the Tuesday of the week after
  next. "heute/morgen in einer Woche" is that day plus seven days.
- "diese Woche": today to Sunday; "nächste/kommende Woche": next Monday to Sunday; "übernächste
  Woche" and "in zwei Wochen" (without a weekday): the calendar week two weeks ahead.
- "Anfang/Mitte/Ende" of a week: Monday–Tuesday / Tuesday–Thursday / Thursday–Friday; of a month
  (also "Ende Dezember", "Monatsende"): days 1–10 / 11–20 / 21 to the last. Without "dieser" or
  "nächster" ("Ende der Woche", "Anfang des Monats", "Anfang Dezember") it is the current one,
  or the next one when the current one is already over; with "dieser" that is over it is unreadable.
- "am Wochenende": the coming Saturday and Sunday (today when today is one of them); offices are
  closed then, but the phrase is still read — the slot search simply finds nothing on those days.
  "nächstes Wochenende": the first Saturday strictly after today and the Sunday after it.
- "heute", "morgen", "übermorgen", "in 3 Tagen": single days. "morgen" is always "tomorrow"
  ("morgens" and "früh" are the time of day, so "morgen früh" is tomorrow 07:00–10:00).
- Dates: "am 3.12.", "3.12.2026", "3.12.26", "3. Dezember", "3 dez 2026". Without a year, a date
  that has already passed this year is next year's. With a year, a past date is unreadable, as is a
  date that does not exist ("31.2."). "den 14." is the 14th of this month, or of next month when
  that has passed (unreadable when that month has no such day). A weekday named with a date must
  agree with it ("Mittwoch, 8.12." on a Tuesday asks back).
- Several single days ("Montag oder Mittwoch", "morgen oder übermorgen") are read together when
  they lie within a week (a day range with only those weekdays allowed); further apart, the
  citizen is asked to choose.
- "ab/seit <Tag>" and "nach <Tag>" start the range at (after) that day and leave it open, "bis
  <Tag>" and "vor <Tag>" end it at (before) that day: "ab Montag", "bis Ende des Monats".
- Times of day: früh/morgens 07:00–10:00, vormittags 08:00–12:00, mittags 11:00–14:00,
  nachmittags 12:00–18:00, abends 17:00–22:00 (several: the span from the first to the last).
  "ab 14 Uhr" from 14:00, "nach 16 Uhr" after 16:00 (a 16:00 slot does not fit: whoever says "nach"
  may not be free at 16:00), "vor 10"/"bis 10 Uhr" starts before 10:00, "nicht vor 10" = "ab 10",
  "nicht nach 16" = up to and including 16:00, "zwischen 9 und 11"/"9–11 Uhr" from 9:00 to before
  11:00, "um 10 Uhr"/"10 Uhr"/"10:30" within that hour, "gegen 10" half an hour either side. Hours
  1 to 6 mean the afternoon ("ab 3" is 15:00): no office opens at three in the morning.
- "nicht montags", "nicht am Montag", "außer freitags", "nicht am Wochenende" exclude weekdays;
  "montags", "nur dienstags", "werktags" allow only those.
- "so bald wie möglich", "schnellstmöglich", "möglichst bald", "egal wann", "nächster freier
  Termin": `asap`, from today with no end; other words still narrow it ("so bald wie möglich,
  nachmittags"). "irgendwann" alone says nothing and is asked back.

A slot fits when its start, in Europe/Berlin, lies in the day range, on an allowed weekday and in
the time window (start included, end excluded). Slots already past are the caller's concern.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.opening_hours import MONTH_NAMES_DE, WEEKDAY_NAMES_DE, WEEKDAYS, day_text_de, week_of
from bot.core.text import fold

BERLIN = ZoneInfo("Europe/Berlin")
ALL_WEEKDAYS: frozenset[int] = frozenset(range(7))
"""Weekday numbers as `date.weekday()` gives them: Monday is 0, Sunday 6."""

ASK_DAY = "Welchen Tag meinen Sie? Zum Beispiel „morgen“, „nächsten Dienstag“ oder „am 14.12.“."
ASK_TIME = "Um welche Uhrzeit passt es Ihnen? Zum Beispiel „vormittags“, „ab 14 Uhr“ oder „zwischen 9 und 11 Uhr“."
ASK_WHEN = (
    "Wann passt es Ihnen? Zum Beispiel „morgen Vormittag“, „nächsten Dienstag ab 14 Uhr“ oder „so bald wie möglich“."
)
ASK_NEGATION = "Welche Tage passen Ihnen nicht? Zum Beispiel „nicht montags“ oder „nicht am Freitag“."


@dataclass(frozen=True)
class Preference:
    """When a citizen wants an appointment. `latest_day` None: no end (the caller's search horizon
    applies); `latest_time` None: until the end of the day (the window excludes its end)."""

    earliest_day: date
    latest_day: date | None = None
    earliest_time: time = time(0, 0)
    latest_time: time | None = None
    weekdays: frozenset[int] = ALL_WEEKDAYS
    asap: bool = False


@dataclass(frozen=True)
class Unreadable:
    """The phrase could not be read; `question` is what to ask the citizen (German, "Sie")."""

    question: str


def parse_preference(text: str, now: datetime) -> Preference | Unreadable:
    """Read a German date/time phrase relative to `now` (timezone-aware). Never raises on any text."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    return _Reader(now.astimezone(BERLIN).date()).read(text)


def matches(preference: Preference, slot: datetime) -> bool:
    """Whether a slot starting at `slot` (timezone-aware) fits the preference, judged in Europe/Berlin."""
    if slot.tzinfo is None or slot.utcoffset() is None:
        raise ValueError(f"slot must be timezone-aware, got {slot!r}")
    local = slot.astimezone(BERLIN)
    day, start = local.date(), local.time().replace(tzinfo=None)
    if day < preference.earliest_day or (preference.latest_day is not None and day > preference.latest_day):
        return False
    if day.weekday() not in preference.weekdays or start < preference.earliest_time:
        return False
    return preference.latest_time is None or start < preference.latest_time


def format_slot(slot: datetime) -> str:
    """The absolute date and time for a confirmation: "Dienstag, 8. Dezember 2026, 10:15 Uhr"
    (in Europe/Berlin; a naive datetime is taken as Berlin time)."""
    local = slot.astimezone(BERLIN) if slot.tzinfo is not None else slot
    return f"{day_text_de(local.date())} {local.year}, {local:%H:%M} Uhr"


# --- vocabulary ---------------------------------------------------------------------------------

_WEEKDAY_WORDS = {fold(WEEKDAY_NAMES_DE[key]): number for number, key in enumerate(WEEKDAYS)} | {"sonnabend": 5}
_PLURAL_WEEKDAYS = {word + "s": frozenset({number}) for word, number in _WEEKDAY_WORDS.items()} | {
    "werktags": frozenset(range(5)),
    "wochentags": frozenset(range(5)),
}
_MONTH_ABBREVIATIONS = ("jan", "feb", "maer", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "dez")
_MONTH_WORDS = (
    {fold(name): number for number, name in enumerate(MONTH_NAMES_DE, start=1)}
    | {abbreviation: number for number, abbreviation in enumerate(_MONTH_ABBREVIATIONS, start=1)}
    | {"marz": 3, "sept": 9}
)
_PERIODS = {  # minutes since midnight, end excluded
    "frueh": (420, 600),
    "morgens": (420, 600),
    "vormittag": (480, 720),
    "vormittags": (480, 720),
    "mittag": (660, 840),
    "mittags": (660, 840),
    "nachmittag": (720, 1080),
    "nachmittags": (720, 1080),
    "abend": (1020, 1320),
    "abends": (1020, 1320),
}
_NUMBERS = {"ein": 1, "eine": 1, "einer": 1, "einem": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4}
_NUMBERS |= {"fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10}


def _adjective(*stems: str) -> frozenset[str]:
    return frozenset(stem + ending for stem in stems for ending in ("", "e", "en", "er", "es", "em"))


_NEXT = _adjective("naechst", "nachst", "kommend")
_THIS = _adjective("dies")
_AFTER_NEXT = _adjective("uebernaechst", "ubernachst")
_PARTS = {"anfang": 0, "mitte": 1, "ende": 2}
_WEEK_PARTS = {0: (0, 1), 1: (1, 3), 2: (3, 4)}  # Monday–Tuesday, Tuesday–Thursday, Thursday–Friday
_MONTH_PART_DAYS = {0: (1, 10), 1: (11, 20), 2: (21, 31)}
_DAY_WORDS = {"heute": 0, "morgen": 1, "uebermorgen": 2}
_BOUNDS = {"ab", "seit", "bis", "vor", "nach"}
_NEGATIONS = {"nicht", "kein", "keine", "keinen", "ausser", "ausgenommen"}
_ARTICLES = {"am", "an", "den", "dem", "der", "des", "die", "im", "zum", "zur"}
_FUZZY = [word for word in (*_WEEKDAY_WORDS, *_PLURAL_WEEKDAYS, *_MONTH_WORDS) if len(word) >= 6]

# No nested quantifiers anywhere, so no catastrophic backtracking: after _normalise, words are
# separated by exactly one space, and every repetition below is a bounded run of digits.
_ASAP = re.compile(
    r"\b(?:so ?bald (?:wie|als) moe?glich|so schnell wie moe?glich|schnellstmoe?glich|fruehestmoe?glich"
    r"|moe?glichst (?:bald|schnell|frueh)|egal wann|naechste[nr]? freie[nr]? termin)\b"
)
_DATE = re.compile(r"(?<![\d.:])(?<!um )(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?(?![\d:])")
_DATE_AFTER_ARTICLE = re.compile(r"\b(am|den|dem|zum|vom) (\d{1,2})\.(\d{1,2})(?![\d.:])")
_T = r"(\d{1,2})(?:[:.](\d{2}))?"
_NO_DATE = r"(?![\d.:]?\d|\.? ?(?:jan|feb|mae|mar|apr|mai|jun|jul|aug|sep|okt|nov|dez))"
_TIME_RANGE = re.compile(
    rf"\b(?:(?:zwischen|von) {_T}(?: uhr)? (?:und|bis|-) |{_T}(?: uhr)? ?(?:bis|-) ?){_T}(?: ?uhr)?{_NO_DATE}"
)
_TIME_BOUND = re.compile(
    rf"\b(nicht )?(ab|nach|vor|bis|um|gegen|fruehestens|spaeter als|frueher als) {_T}(?: ?uhr)?{_NO_DATE}"
)
_TIME_BARE = re.compile(rf"\b(?:(\d{{1,2}}):(\d{{2}})|{_T} ?uhr)\b")
_TOKEN = re.compile(r"D\d+|\d+\.?|[a-z]+")


def _normalise(text: str) -> str:
    folded = re.sub(r"[^a-z0-9.:\-]", " ", fold(text))
    return " ".join(folded.split())


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by exactly one substitution, insertion, deletion or adjacent swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    if len(a) != len(b):
        longer, shorter = (a, b) if len(a) > len(b) else (b, a)
        return longer[prefix + 1 :] == shorter[prefix:]
    if a[prefix + 1 :] == b[prefix + 1 :]:
        return True
    swapped = prefix + 1 < len(a) and a[prefix] == b[prefix + 1] and a[prefix + 1] == b[prefix]
    return swapped and a[prefix + 2 :] == b[prefix + 2 :]


def _correct(word: str) -> str:
    """A weekday or month name (six letters or more) with one typo, corrected; other words unchanged."""
    if len(word) < 6 or word in _WEEKDAY_WORDS or word in _PLURAL_WEEKDAYS or word in _MONTH_WORDS:
        return word
    candidates = [known for known in _FUZZY if _one_edit(word, known)]
    return candidates[0] if len(candidates) == 1 else word


def _minutes(hour_text: str, minute_text: str | None) -> int | None:
    hour, minute = int(hour_text), int(minute_text or 0)
    if hour > 23 or minute > 59:
        return None
    return (hour + 12 if 1 <= hour <= 6 else hour) * 60 + minute


def _valid_date(year: int, month: int, day: int) -> date | None:
    if 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]:
        return date(year, month, day)
    return None


def _month_span(year: int, month: int, parts: tuple[int, int]) -> tuple[date, date]:
    """Days 1–10, 11–20 or 21–end (parts 0, 1, 2: from, to) of a month."""
    length = calendar.monthrange(year, month)[1]
    last = min(_MONTH_PART_DAYS[parts[1]][1], length)
    return date(year, month, _MONTH_PART_DAYS[parts[0]][0]), date(year, month, last)


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _days_text(first: date, last: date) -> str:
    return day_text_de(first) if first == last else f"{day_text_de(first)} bis {day_text_de(last)}"


@dataclass
class _Reader:
    """One reading: the regex passes take out phrases with numbers, then `_scan` reads the words."""

    today: date
    tokens: list[str] = field(default_factory=list)
    closed: list[tuple[date, date]] = field(default_factory=list)  # days named as such
    bounds: list[tuple[date | None, date | None]] = field(default_factory=list)  # "ab ...", "bis ..."
    named_weekdays: list[tuple[int, bool, int]] = field(default_factory=list)  # weekday, incl. today, +weeks
    periods: list[tuple[int, int]] = field(default_factory=list)
    time_bounds: list[tuple[int, int]] = field(default_factory=list)
    allowed: frozenset[int] = ALL_WEEKDAYS
    excluded: set[int] = field(default_factory=set)
    asap: bool = False
    problem: str | None = None
    pending_bound: str | None = None
    dates: list[date | str] = field(default_factory=list)  # numeric dates, or the question they raise

    def fail(self, question: str) -> None:
        self.problem = self.problem or question

    def read(self, text: str) -> Preference | Unreadable:
        normal = _ASAP.sub(self._asap, _normalise(text))
        normal = _DATE_AFTER_ARTICLE.sub(lambda m: f"{m[1]} {self._numeric_date(m[2], m[3], None)}", normal)
        normal = _DATE.sub(lambda m: f" {self._numeric_date(m[1], m[2], m[3])} ", normal)
        normal = _TIME_RANGE.sub(self._time_range, normal)
        normal = _TIME_BOUND.sub(self._time_bound, normal)
        normal = _TIME_BARE.sub(self._time_bare, normal)
        self.tokens = [_correct(token) for token in _TOKEN.findall(normal)]
        self._scan()
        if self.problem is None and not self._said_anything():
            self.fail(ASK_WHEN)
        if self.problem is not None:
            return Unreadable(self.problem)
        return self._combine()

    def _said_anything(self) -> bool:
        found = self.closed or self.bounds or self.named_weekdays or self.periods or self.time_bounds
        return bool(found) or self.asap or bool(self.excluded) or self.allowed != ALL_WEEKDAYS

    # --- regex passes: phrases with numbers ---

    def _asap(self, _match: re.Match[str]) -> str:
        self.asap = True
        return " "

    def _numeric_date(self, day_text: str, month_text: str, year_text: str | None) -> str:
        self.dates.append(self._date(int(day_text), int(month_text), year_text))
        return f"D{len(self.dates) - 1}"

    def _date(self, day: int, month: int, year_text: str | None) -> date | str:
        """A date from its parts (next year's when it has passed and no year is given), or a question."""
        if year_text is None:
            year = self.today.year + ((month, day) < (self.today.month, self.today.day))
        else:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        shown = f"{day}.{month}." + (str(year) if year_text else "")
        moment = _valid_date(year, month, day)
        if moment is None:
            return f"Den {shown} gibt es nicht. {ASK_DAY}"
        if moment < self.today:
            return f"Der {shown} liegt in der Vergangenheit. {ASK_DAY}"
        return moment

    def _time_range(self, match: re.Match[str]) -> str:
        start_hour, start_minute = (match[1], match[2]) if match[1] else (match[3], match[4])
        start, end = _minutes(start_hour, start_minute), _minutes(match[5], match[6])
        if start is None or end is None or start >= end:
            self.fail(ASK_TIME)
        else:
            self.time_bounds.append((start, end))
        return " "

    def _time_bound(self, match: re.Match[str]) -> str:
        word, moment = match[2], _minutes(match[3], match[4])
        if match[1]:  # "nicht vor 10" is "ab 10", "nicht nach 16" is up to and including 16:00
            word = {"vor": "ab", "frueher als": "ab", "nach": "bis incl", "spaeter als": "bis incl"}.get(word, "")
        windows = {
            "ab": (0, None),
            "fruehestens": (0, None),
            "nach": (1, None),
            "spaeter als": (1, None),
            "vor": (None, 0),
            "bis": (None, 0),
            "frueher als": (None, 0),
            "bis incl": (None, 1),
            "um": (0, 60),
            "gegen": (-30, 30),
        }
        if moment is None or word not in windows:
            self.fail(ASK_TIME)
            return " "
        low, high = windows[word]
        start = 0 if low is None else max(moment + low, 0)
        self.time_bounds.append((start, 1440 if high is None else min(moment + high, 1440)))
        return " "

    def _time_bare(self, match: re.Match[str]) -> str:
        moment = _minutes(match[1], match[2]) if match[1] else _minutes(match[3], match[4])
        if moment is None:
            self.fail(ASK_TIME)
        else:
            self.time_bounds.append((moment, min(moment + 60, 1440)))
        return " "

    # --- the word grammar ---

    def _at(self, index: int) -> str:
        return self.tokens[index] if index < len(self.tokens) else ""

    def _scan(self) -> None:
        i, negating, negated_something = 0, False, False
        while i < len(self.tokens) and self.problem is None:
            word = self.tokens[i]
            if word in _NEGATIONS:
                negating, negated_something, i = True, False, i + 1
                continue
            if negating:
                excluded = _weekdays_of(word)
                if excluded is not None or word in ("am", "an", "den", "und", "oder", "nur"):
                    self.excluded |= excluded or set()
                    negated_something, i = negated_something or excluded is not None, i + 1
                    continue
                if not negated_something:
                    self.fail(ASK_NEGATION)
                negating = False
            if word in _BOUNDS:
                self.pending_bound, i = word, i + 1
            elif word in _ARTICLES:
                i += 1
            else:
                i = self._phrase(i)
                self.pending_bound = None
        if negating and not negated_something:
            self.fail(ASK_NEGATION)

    def _phrase(self, i: int) -> int:
        """Read the phrase starting at token `i`; the index after it."""
        word = self.tokens[i]
        if word.startswith("D"):
            self._found(self.dates[int(word[1:])])
        elif word in _DAY_WORDS:
            return self._day_word(i)
        elif word in _WEEKDAY_WORDS:
            self._weekday(_WEEKDAY_WORDS[word], include_today=False, weeks=0)
        elif word in _PLURAL_WEEKDAYS:
            self.allowed &= _PLURAL_WEEKDAYS[word]
        elif word in _PERIODS:
            self.periods.append(_PERIODS[word])
        elif word in _NEXT or word in _THIS or word in _AFTER_NEXT:
            return self._qualified(_ahead(word), i + 1)
        elif word == "wochenende":
            self._weekend(next_one=False)
        elif word in _PARTS or (word[6:] in _PARTS and word[:6] in ("monats", "wochen")):
            return self._part(i)
        elif word in _MONTH_WORDS:
            self._month(_MONTH_WORDS[word], (0, 2))
        elif word == "in" and _count(self._at(i + 1)) is not None:
            return self._in_count(i + 1)
        elif word[0].isdigit():
            return self._number(i)
        return i + 1  # a word the grammar does not know is skipped

    def _add_days(self, first: date, last: date) -> None:
        bound = self.pending_bound
        if bound in ("ab", "seit"):
            self.bounds.append((first, None))
        elif bound == "nach":
            self.bounds.append((last + timedelta(days=1), None))
        elif bound == "bis":
            self.bounds.append((None, last))
        elif bound == "vor":
            self.bounds.append((None, first - timedelta(days=1)))
        else:
            self.closed.append((first, last))

    def _found(self, found: date | str) -> None:
        if isinstance(found, str):
            self.fail(found)
        else:
            self._add_days(found, found)

    def _coming(self, weekday: int, include_today: bool) -> date:
        delta = (weekday - self.today.weekday()) % 7
        return self.today + timedelta(days=delta if delta or include_today else 7)

    def _weekday(self, weekday: int, include_today: bool, weeks: int) -> None:
        if self.pending_bound:  # "ab Montag": the coming one
            moment = self._coming(weekday, include_today) + timedelta(weeks=weeks)
            self._add_days(moment, moment)
        else:  # resolved in _combine: within a week named with it, or the coming one
            self.named_weekdays.append((weekday, include_today, weeks))

    def _day_word(self, i: int) -> int:
        """ "heute", "morgen", "übermorgen", optionally "in einer Woche" after it."""
        moment = self.today + timedelta(days=_DAY_WORDS[self.tokens[i]])
        weeks = _count(self._at(i + 2))
        if self._at(i + 1) == "in" and weeks is not None and self._at(i + 3) in ("woche", "wochen"):
            moment, i = moment + timedelta(weeks=weeks), i + 3
        self._add_days(moment, moment)
        return i + 1

    def _qualified(self, ahead: int, i: int) -> int:
        """After "nächste", "diese" or "übernächste" (ahead 1, 0, 2): a weekday, week, weekend or month."""
        following = self._at(i)
        if following in _WEEKDAY_WORDS:
            self._weekday(_WEEKDAY_WORDS[following], include_today=ahead == 0, weeks=max(ahead - 1, 0))
        elif following == "woche":
            self._week_part(ahead, (0, 6), strict=True)
        elif following == "wochenende":
            self._weekend(next_one=ahead > 0)
        elif following in ("monat", "monats"):
            self._month_of_now(ahead, (0, 2), strict=True)
        else:
            return i
        return i + 1

    def _part(self, i: int) -> int:
        """ "Anfang/Mitte/Ende" of a week or month: "Ende nächster Woche", "Monatsende", "Anfang Mai"."""
        word = self.tokens[i]
        if word not in _PARTS:  # "monatsende", "wochenmitte"
            part = _PARTS[word[6:]]
            if word.startswith("monats"):
                self._month_of_now(None, (part, part), strict=False)
            else:
                self._week_part(None, _WEEK_PARTS[part], strict=False)
            return i + 1
        part, j = _PARTS[word], i + 1
        while self._at(j) in ("der", "des", "im"):
            j += 1
        ahead: int | None = None
        if self._at(j) in _NEXT or self._at(j) in _THIS or self._at(j) in _AFTER_NEXT:
            ahead, j = _ahead(self._at(j)), j + 1
        target = self._at(j)
        if target == "woche":
            self._week_part(ahead, _WEEK_PARTS[part], strict=ahead is not None)
        elif target in ("monat", "monats"):
            self._month_of_now(ahead, (part, part), strict=ahead is not None)
        elif target in _MONTH_WORDS and ahead is None:
            self._month(_MONTH_WORDS[target], (part, part))
        else:
            return i + 1
        return j + 1

    def _week_part(self, weeks_ahead: int | None, weekdays: tuple[int, int], strict: bool) -> None:
        """Days of a calendar week; without "diese/nächste" (not strict) next week's once this one's are over."""
        monday = week_of(self.today)[0] + timedelta(weeks=weeks_ahead or 0)
        first, last = monday + timedelta(days=weekdays[0]), monday + timedelta(days=weekdays[1])
        if last < self.today and not strict:
            first, last = first + timedelta(weeks=1), last + timedelta(weeks=1)
        self._add_days(first, last)

    def _month_of_now(self, months_ahead: int | None, parts: tuple[int, int], strict: bool) -> None:
        """Part of this or a later month; without "diesen/nächsten" (not strict) next month's once over."""
        index = self.today.year * 12 + self.today.month - 1 + (months_ahead or 0)
        first, last = _month_span(index // 12, index % 12 + 1, parts)
        if last < self.today and not strict:
            first, last = _month_span((index + 1) // 12, (index + 1) % 12 + 1, parts)
        self._add_days(first, last)

    def _month(self, month: int, parts: tuple[int, int]) -> None:
        """Part of a month named without a year: this year's, or next year's once it is over."""
        first, last = _month_span(self.today.year, month, parts)
        if last < self.today:
            first, last = _month_span(self.today.year + 1, month, parts)
        self._add_days(first, last)

    def _weekend(self, next_one: bool) -> None:
        if self.today.weekday() == 6 and not next_one:
            self._add_days(self.today, self.today)
            return
        saturday = self._coming(5, include_today=not next_one)
        self._add_days(saturday, saturday + timedelta(days=1))

    def _in_count(self, i: int) -> int:
        """After "in": "3 Tagen", "zwei Wochen"."""
        count, unit = _count(self.tokens[i]) or 0, self._at(i + 1)
        if unit in ("tag", "tage", "tagen"):
            moment = self.today + timedelta(days=count)
            self._add_days(moment, moment)
        elif unit in ("woche", "wochen"):
            self._week_part(count, (0, 6), strict=True)
        else:
            self.fail(ASK_DAY)
        return i + 2

    def _number(self, i: int) -> int:
        """An ordinal or number: "3. Dezember (2026)", "den 14."; any other number is unreadable."""
        word, following, year = self.tokens[i], self._at(i + 1), self._at(i + 2)
        day = int(word.rstrip(".")) if len(word) <= 3 else 0
        if following in _MONTH_WORDS and 1 <= day <= 31:
            year_text = year if len(year) == 4 and year.isdigit() else None
            self._found(self._date(day, _MONTH_WORDS[following], year_text))
            return i + (3 if year_text else 2)
        if word.endswith(".") and 1 <= day <= 31:
            moment = _valid_date(self.today.year, self.today.month, day)
            if moment is None or moment < self.today:
                index = self.today.year * 12 + self.today.month  # next month
                moment = _valid_date(index // 12, index % 12 + 1, day)
            self._found(moment or f"Den {day}. gibt es im nächsten Monat nicht. {ASK_DAY}")
            return i + 1
        self.fail(ASK_DAY)
        return i + 1

    # --- putting it together ---

    def _combine(self) -> Preference | Unreadable:
        allowed = self.allowed - self.excluded
        closed = list(self.closed)
        named = {weekday for weekday, _, _ in self.named_weekdays}
        if named and closed:  # "Dienstag nächste Woche", "Dienstag, 8.12.": the weekday narrows the days
            allowed &= named
        for weekday, include_today, weeks in self.named_weekdays if not self.closed else ():
            moment = self._coming(weekday, include_today) + timedelta(weeks=weeks)
            closed.append((moment, moment))
        distinct = sorted(set(closed))
        first, last = (distinct[0][0], max(end for _, end in distinct)) if distinct else (self.today, None)
        if len(distinct) > 1 and last is not None:
            if any(start != end for start, end in distinct) or (last - first).days > 6:
                options = " oder ".join(_days_text(start, end) for start, end in distinct[:3])
                return Unreadable(f"Meinen Sie {options}? Bitte nennen Sie einen Tag oder einen Zeitraum.")
            allowed &= {moment.weekday() for moment, _ in distinct}  # "Montag oder Mittwoch": only those
        for low, high in self.bounds:
            first = max(first, low) if low else first
            last = min(last, high) if high and last else high or last
        first = max(first, self.today)
        if last is not None and last < first:
            reason = "Dieser Zeitraum liegt in der Vergangenheit" if last < self.today else "Dazu passt kein Tag"
            return Unreadable(f"{reason}. {ASK_DAY}")
        span = [first + timedelta(days=n) for n in range(7 if last is None else min((last - first).days + 1, 7))]
        if not any(day.weekday() in allowed for day in span):
            return self._weekday_conflict()
        window = self._window()
        if window is None:
            return Unreadable(f"Zu diesen Uhrzeiten passt kein Termin. {ASK_TIME}")
        return Preference(first, last, window[0], window[1], frozenset(allowed), self.asap)

    def _weekday_conflict(self) -> Unreadable:
        single_days = [start for start, end in self.closed if start == end]
        if single_days and self.named_weekdays:
            day = single_days[0]
            name = WEEKDAY_NAMES_DE[WEEKDAYS[day.weekday()]]
            return Unreadable(f"Der {day.day}.{day.month}. ist ein {name}. {ASK_DAY}")
        return Unreadable(f"Dazu passt kein Tag. {ASK_DAY}")

    def _window(self) -> tuple[time, time | None] | None:
        start, end = 0, 1440
        if self.periods:  # "vormittags oder nachmittags": from the first to the last
            start, end = min(a for a, _ in self.periods), max(b for _, b in self.periods)
        for low, high in self.time_bounds:
            start, end = max(start, low), min(end, high)
        if start >= end:
            return None
        return _clock(start), None if end >= 1440 else _clock(end)


def _weekdays_of(word: str) -> frozenset[int] | None:
    """The weekdays a word names after "nicht": "montags", "Montag", "Wochenende"."""
    if word in _PLURAL_WEEKDAYS:
        return _PLURAL_WEEKDAYS[word]
    if word in _WEEKDAY_WORDS:
        return frozenset({_WEEKDAY_WORDS[word]})
    return frozenset({5, 6}) if word == "wochenende" else None


def _ahead(word: str) -> int:
    """How many weeks (or months) ahead "diese" (0), "nächste" (1) and "übernächste" (2) point."""
    return 1 if word in _NEXT else 0 if word in _THIS else 2


def _count(word: str) -> int | None:
    if word.isdigit() and int(word) <= 60:
        return int(word)
    return _NUMBERS.get(word)
