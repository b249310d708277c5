"""The pure parts of `make bench-handoff`: summaries, the teams file, the gateway's environment and
the report row (the run itself is measured, not tested)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from bot.bench.handoff import (
    HEADER,
    TEAM_ID,
    BenchResult,
    Summary,
    always_open_teams,
    gateway_env,
    percentile,
    row_of,
    summary_lines,
)
from bot.bench.report import append_row
from bot.gateway.settings import GatewaySettings
from bot.staff.teams import BERLIN, parse_teams


def test_summary_uses_nearest_rank_below():
    values = [float(v) for v in range(1, 101)]  # 1 … 100 ms, shuffled order must not matter
    summary = Summary.of(list(reversed(values)))
    assert summary == Summary(count=100, p50=50.5, p95=95.0, p99=99.0, max=100.0)
    assert percentile([7.0], 0.99) == 7.0
    with pytest.raises(ValueError):
        Summary.of([])


@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 12, 6, 3, 0, tzinfo=BERLIN), datetime(2026, 12, 9, 23, 30, tzinfo=BERLIN)],  # Sunday night, Wed
)
def test_the_teams_file_is_open_at_any_hour_of_a_working_day_or_weekend(moment: datetime):
    teams = parse_teams(yaml.safe_load(always_open_teams()))
    assert teams.default.id == TEAM_ID
    assert teams.default.state(moment).open_now


def test_every_gateway_variable_names_a_gateway_setting(tmp_path: Path):
    """pydantic ignores unknown variables: a misspelt one would silently leave a limit in place."""
    env = gateway_env(tmp_path, "k" * 43, tmp_path / "teams.yml")
    fields = set(GatewaySettings.__fields__)
    unknown = [
        key for key in env if key != "TELEGRAM_BOT_TOKEN" and key.removeprefix("BUERGERBOT_").lower() not in fields
    ]
    assert unknown == []
    assert env["BUERGERBOT_STAFF_DATABASE_URL"] == f"sqlite:///{tmp_path / 'staff.db'}"


def result(p95: float) -> BenchResult:
    replies = Summary(500, 15.0, p95, p95 + 10, p95 + 50)
    return BenchResult(
        handoffs=20,
        replies_per_agent=25,
        replies=replies,
        first_reply=Summary(20, 18.0, 30.0, 30.0, 31.0),
        take_notice=Summary(20, 300.0, 370.0, 370.0, 400.0),
        take_response=Summary(20, 14_300.0, 21_000.0, 21_000.0, 21_700.0),
        reply_seconds=12.5,
    )


def test_row_has_one_cell_per_column_and_lands_in_the_report(tmp_path: Path):
    row = row_of(result(29.4), "2026-12-04 21:18 UTC", "test machine", "abc1234")
    assert row.count("|") == HEADER.count("|")
    assert "| 20 × 25 | 15.0 | 29.4 | 39.4 | 79.4 |" in row
    assert "| 300 / 370 | 14.3 / 21.7 | 40 | met |" in row
    report = tmp_path / "benchmarks.md"
    append_row("Section", HEADER, row, intro="intro", report=report)
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[lines.index(HEADER) + 2] == row


def test_the_target_is_p95_under_200_ms():
    assert result(199.9).target_met
    missed = result(200.0)
    assert not missed.target_met
    assert summary_lines(missed)[-1] == "[MISSED] reply p95 < 200 ms"
