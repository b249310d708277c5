"""Live-chat teams: who answers which handoff reason or service, and when (service hours in the
offices' notation, closed on the public holidays of the team's federal state, Europe/Berlin)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.core.opening_hours import OpenState, format_week, open_state, parse_week
from bot.infra.holiday_calendar import closed_days

BERLIN = ZoneInfo("Europe/Berlin")


class TeamsFileError(ValueError):
    """The teams file is missing or malformed; the message names the file and the record."""


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    hours: Mapping[str, list[str]]
    federal_state: str = "NW"
    reasons: tuple[str, ...] = ()
    services: tuple[str, ...] = ()

    def state(self, now: datetime) -> OpenState:
        local = now.astimezone(BERLIN)
        return open_state(self.hours, local, closed_days(self.federal_state, local.date()))

    def hours_text(self) -> str:
        return "; ".join(format_week(self.hours))

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "open": self.state(now).open_now, "hours": format_week(self.hours)}


@dataclass(frozen=True)
class Teams:
    teams: tuple[Team, ...]
    _by_id: dict[str, Team] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.teams:
            raise TeamsFileError("at least one team is needed")
        object.__setattr__(self, "_by_id", {t.id: t for t in self.teams})

    @property
    def default(self) -> Team:
        return self.teams[0]

    def get(self, team_id: str) -> Team | None:
        return self._by_id.get(team_id)

    def __getitem__(self, team_id: str) -> Team:
        """The team, or the default team for an id no longer configured (a queue outlives a config change)."""
        return self._by_id.get(team_id, self.default)

    def for_handoff(self, reason: str, service: str | None) -> Team:
        """The team listing the service, else the one listing the reason, else the default."""
        for team in self.teams:
            if service and service in team.services:
                return team
        for team in self.teams:
            if reason in team.reasons:
                return team
        return self.default

    def __iter__(self) -> Iterator[Team]:
        return iter(self.teams)


def _team(record: Any, where: str) -> Team:
    if not isinstance(record, dict) or not record.get("id") or not record.get("name"):
        raise TeamsFileError(f"{where}: each team needs an id and a name")
    hours = record.get("hours") or {}
    try:
        parse_week(hours)
    except (ValueError, AttributeError, TypeError) as exc:
        raise TeamsFileError(f"{where} ({record['id']}): {exc}") from exc
    return Team(
        id=str(record["id"]),
        name=str(record["name"]),
        hours=hours,
        federal_state=str(record.get("federal_state", "NW")),
        reasons=tuple(str(r) for r in record.get("reasons") or ()),
        services=tuple(str(s) for s in record.get("services") or ()),
    )


def parse_teams(data: Any, where: str = "teams") -> Teams:
    records: Sequence[Any] = (data or {}).get("teams") or [] if isinstance(data, dict) else []
    teams = tuple(_team(record, f"{where}, team {i + 1}") for i, record in enumerate(records))
    if len({t.id for t in teams}) != len(teams):
        raise TeamsFileError(f"{where}: team ids must be unique")
    return Teams(teams)


def load_teams(path: Path) -> Teams:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TeamsFileError(f"{path}: {exc}") from exc
    return parse_teams(data, str(path))
