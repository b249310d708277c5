"""The MASSIVE benchmark code, end to end on a few hundred lines, so it cannot rot."""

from __future__ import annotations

from pathlib import Path

import pytest

# The benchmark parses in this process, which loads spaCy. Its first import in a process warns
# about deprecations inside pinned dependencies (packaging 20.9 calls pyparsing's old names,
# click); at collection they are reported, inside the test they would fail it. Whether an
# earlier test already imported it depends on which tests run before, so import it here.
import spacy  # noqa: F401

from bot.bench.massive import (
    DEFAULT_CONFIG,
    DEFAULT_DATA,
    DEFAULT_XSID,
    load_massive,
    load_xsid,
    parse_annotation,
    run,
    slot_f1,
)


def test_annotation_becomes_text_and_exact_spans():
    text, spans = parse_annotation("wecke mich in [date : dieser woche] um [time : fünf uhr] auf")
    assert text == "wecke mich in dieser woche um fünf uhr auf"
    assert [(t, text[s:e]) for t, s, e in spans] == [("date", "dieser woche"), ("time", "fünf uhr")]


def test_slot_f1_is_micro_over_exact_spans():
    gold = [{("time", 0, 4)}, {("date", 0, 3), ("time", 4, 8)}]
    predicted = [{("time", 0, 4)}, {("date", 0, 2)}]
    assert slot_f1(gold, predicted) == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert slot_f1([set()], [set()]) == 1.0


@pytest.mark.skipif(not DEFAULT_XSID.exists(), reason=f"xSID file not present at {DEFAULT_XSID}")
def test_xsid_keeps_only_shared_intents():
    utterances = load_xsid(DEFAULT_XSID)
    assert 300 < len(utterances) < 500
    assert {u.intent for u in utterances} <= {
        "alarm_set",
        "alarm_remove",
        "alarm_query",
        "weather_query",
        "play_music",
        "calendar_set",
        "calendar_query",
        "calendar_remove",
    }


@pytest.mark.slow
@pytest.mark.skipif(not DEFAULT_DATA.exists(), reason=f"MASSIVE file not present at {DEFAULT_DATA}")
def test_benchmark_runs_end_to_end_on_a_few_hundred_lines(tmp_path: Path, capsys):
    splits = load_massive(DEFAULT_DATA, limit=400)
    assert splits["train"] and splits["test"]
    summary = run(DEFAULT_DATA, DEFAULT_CONFIG, tmp_path / "massive-smoke.tar.gz", limit=400, xsid=None, record=False)
    assert summary.startswith("MASSIVE de-DE: intent_acc=") and "slot_f1=" in summary and "p95_ms=" in summary
    assert (tmp_path / "massive-smoke.tar.gz").exists()
    assert "baseline TF-IDF+LinearSVC" in capsys.readouterr().out
