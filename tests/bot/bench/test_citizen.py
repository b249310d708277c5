"""Rows, ratios and targets of `make bench` (the run itself is measured, not tested)."""

from __future__ import annotations

from pathlib import Path

from bot.bench.citizen import HEADER, HeldOutRun, PipelineRun, ratio_row, row_of, score_heldout, target_lines
from bot.bench.heldout import HeldOutQuestion
from bot.bench.report import append_row
from bot.bench.scoring import IntentScores, ServiceScores


def run(name: str, accuracy: float, first: float, seconds: float, p95: float) -> PipelineRun:
    services = ServiceScores(100, first, min(1.0, first + 0.05), 20, 0, True)
    held_out = HeldOutRun(IntentScores(400, accuracy, accuracy - 0.01), services, seconds, 3.0, p95 / 2, p95)
    return PipelineRun(name, IntentScores(1700, accuracy, accuracy), IntentScores(1700, accuracy - 0.01, 0.9), held_out)


def test_rows_have_one_cell_per_column_and_land_in_the_report(tmp_path: Path):
    ours, stock = run("ours", 0.93, 0.92, 60, 20), run("stock", 0.88, 0.0, 900, 40)
    columns = HEADER.count("|") - 1
    rows = [row_of(ours, "2026-12-02", "test machine", 2), ratio_row(ours, stock, "2026-12-02", "test machine")]
    assert all(row.count("|") - 1 == columns for row in rows)
    assert "0.920 (k=2)" in rows[0] and "0/20" in rows[0]
    assert "| 1.057 |" in rows[1]  # 0.93 / 0.88 held-out accuracy
    report = tmp_path / "benchmarks.md"
    for row in rows:
        append_row("Section", HEADER, row, intro="intro", report=report)
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[lines.index(HEADER) + 2 :] == rows


def test_targets_are_checked_against_the_same_runs_stock_figures():
    ours, stock = run("ours", 0.93, 0.92, 60, 20), run("stock", 0.92, 0.0, 900, 40)
    lines = target_lines(ours, stock)
    assert any(line.startswith("  [MISSED] held-out intent accuracy") for line in lines)  # only 1 point ahead
    assert any(line.startswith("  [met] right service first >= 90 %") for line in lines)
    assert any(line.startswith("  [met] parse p95") for line in lines)


def test_held_out_scoring_separates_service_and_out_of_catalogue_questions():
    questions = [
        HeldOutQuestion("was kostet der pass", "ask_fees", ("reisepass",)),
        HeldOutQuestion("wie beantrage ich kindergeld", "service_info", (), out_of_catalogue=True),
        HeldOutQuestion("hallo", "greet"),
    ]
    answer = {"decision": "answer", "candidates": [{"id": "reisepass", "name": "Reisepass", "score": 1.0}]}
    parses = [
        {"intent": {"name": "ask_fees"}, "service_resolution": answer},
        {"intent": {"name": "service_info"}, "service_resolution": answer},
        {"intent": {"name": "nlu_fallback"}},
    ]
    intents, services = score_heldout(questions, parses)
    assert intents.accuracy == 2 / 3
    assert (services.n, services.first, services.out_of_catalogue_n, services.out_of_catalogue_confident_wrong) == (
        1,
        1.0,
        1,
        1,
    )
