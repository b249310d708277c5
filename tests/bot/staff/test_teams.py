"""Live-chat teams: the shipped file, routing by service and reason, service hours and holidays."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.infra.paths import HANDOFF_TEAMS_FILE
from bot.staff.teams import BERLIN, TeamsFileError, load_teams, parse_teams


def test_the_shipped_teams_load_and_route():
    teams = load_teams(HANDOFF_TEAMS_FILE)
    assert teams.default.id == "buergerservice"
    assert teams.for_handoff("complain", None).id == "beschwerden"
    assert teams.for_handoff("not_understood", "reisepass").id == "buergerservice"
    assert teams["no-longer-configured"].id == "buergerservice"


@pytest.mark.parametrize(
    ("moment", "open_now"),
    [
        (datetime(2026, 12, 3, 10, 0, tzinfo=BERLIN), True),  # Thursday morning
        (datetime(2026, 12, 3, 17, 59, tzinfo=BERLIN), True),  # Thursday: open until 18:00
        (datetime(2026, 12, 4, 13, 0, tzinfo=BERLIN), False),  # Friday: until 13:00
        (datetime(2026, 12, 5, 10, 0, tzinfo=BERLIN), False),  # Saturday
        (datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN), False),  # Christmas Day, a Friday
        (datetime(2026, 5, 1, 10, 0, tzinfo=BERLIN), False),  # Labour Day, a Friday
        (datetime(2026, 3, 29, 9, 0, tzinfo=BERLIN), False),  # DST day, a Sunday
        (datetime(2026, 3, 30, 8, 0, tzinfo=BERLIN), True),  # the Monday after, 08:00 local time
    ],
)
def test_service_hours_in_berlin_with_public_holidays(moment: datetime, open_now: bool):
    team = load_teams(HANDOFF_TEAMS_FILE).default
    assert team.state(moment).open_now is open_now


def test_closed_team_knows_when_it_opens_again():
    team = load_teams(HANDOFF_TEAMS_FILE).default
    state = team.state(datetime(2026, 12, 24, 18, 30, tzinfo=BERLIN))  # Christmas Eve (Thursday), after hours
    assert state.changes_at is not None and state.changes_at.date().isoformat() == "2026-12-28"  # after 25./26.


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"teams": []}, "at least one team"),
        ({"teams": [{"id": "a"}]}, "id and a name"),
        ({"teams": [{"id": "a", "name": "A", "hours": {"mon": ["18:00-08:00"]}}]}, "end before start"),
        ({"teams": [{"id": "a", "name": "A", "hours": {"montag": []}}]}, "unknown weekday"),
        ({"teams": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]}, "unique"),
        ("nonsense", "at least one team"),
    ],
)
def test_bad_teams_files_are_refused_with_the_reason(data: object, message: str):
    with pytest.raises(TeamsFileError, match=message):
        parse_teams(data)


def test_an_unreadable_file_names_itself(tmp_path):
    path = tmp_path / "teams.yml"
    path.write_text("teams: [", encoding="utf-8")
    with pytest.raises(TeamsFileError, match=r"teams\.yml"):
        load_teams(path)
