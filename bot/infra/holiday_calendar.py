"""Public holidays of the configured federal state as a plain `{date: name}` mapping (German names),
for the pure opening-hours logic in bot.core. The `holidays` package is used only here."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


def federal_states() -> tuple[str, ...]:
    """Subdivision codes the holidays package knows for Germany (NW, BY, BE, ...)."""
    return tuple(holidays.country_holidays("DE").subdivisions)


@lru_cache(maxsize=64)
def _year(federal_state: str, year: int) -> dict[date, str]:
    try:
        calendar = holidays.country_holidays("DE", subdiv=federal_state, years=year, language="de")
    except NotImplementedError as exc:
        raise ValueError(f"unknown federal state {federal_state!r}, expected one of {federal_states()}") from exc
    return dict(calendar.items())


def closed_days(federal_state: str, around: date) -> dict[date, str]:
    """The holidays of the year before, of and after `around`: enough for a week that spans New Year
    and for finding the next opening after the last days of December."""
    days: dict[date, str] = {}
    for year in (around.year - 1, around.year, around.year + 1):
        days.update(_year(federal_state, year))
    return days
