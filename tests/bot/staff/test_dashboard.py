"""Dashboard figures and charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.staff.charts import bar_chart
from bot.staff.dashboard import summarise

DAY = 86_400
T0 = 1_790_000_000.0  # 2026-09-21


def test_summary_counts_per_day_and_channel_rates_and_ratings():
    rows = [
        ("web:a", T0, "ask_fees", 0.9),
        ("web:a", T0 + 10, "nlu_fallback", 0.3),
        ("telegram:1", T0 + DAY, "greet", 0.5),
        ("api:x", T0 + DAY, "greet", 0.99),
    ]
    summary = summarise(rows, [(T0, 1), (T0 + DAY, -1), (T0 + DAY, -1)], low_confidence=0.6)
    assert summary["total"] == 4
    assert [(d["web"], d["telegram"], d["api"]) for d in summary["messages_per_day"]] == [(2, 0, 0), (0, 1, 1)]
    assert summary["top_intents"][0] == {"intent": "greet", "count": 2}
    assert summary["fallback_rate"] == 0.25 and summary["low_confidence_rate"] == 0.5
    assert (summary["ratings"]["up"], summary["ratings"]["down"]) == (1, 2)


def test_empty_summary_has_no_division_by_zero():
    assert summarise([], [], 0.6)["fallback_rate"] == 0.0


def test_chart_is_accessible_svg_and_escapes_labels():
    svg = bar_chart("Nachrichten <pro> Tag", ["09-21", "<b>"], {"Web": [2, 0], "Telegram": [1, 3]})
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.find("{http://www.w3.org/2000/svg}title").text == "Nachrichten <pro> Tag"
    assert "<b>" not in svg and "&lt;b&gt;" in svg
