"""Dashboard figures and charts over HTTP: one pass over the tracker store per console view."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.staff import dashboard as figures
from bot.staff.ratings import rate

from .conftest import assert_not_logged_in

CHARTS = ("messages", "intents", "ratings")


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Counts the passes over the tracker store."""
    calls: list[float] = []
    real = figures.message_rows

    def counting(tracker, since):
        calls.append(since)
        return real(tracker, since)

    monkeypatch.setattr(figures, "message_rows", counting)
    return calls


def test_dashboard_figures(reviewer: TestClient, add_message: Callable[..., int], app: FastAPI):
    add_message("Hallo", "greet", 0.9, sender="web:a")
    add_message("Was", "nlu_fallback", 0.2, sender="telegram:1")
    add_message("/greet", "greet", 1.0)  # a button press: not counted
    rate(app.state.staff.staff, "web:a", "ref-Hallo", -1)
    data = reviewer.get("/staff/api/dashboard", params={"days": 7}).json()
    assert data["days"] == 7 and data["total"] == 2
    assert data["fallback_rate"] == 0.5 and data["low_confidence_rate"] == 0.5
    (day,) = data["messages_per_day"]
    assert (day["web"], day["telegram"], day["api"], day["other"]) == (1, 1, 0, 0)
    assert {i["intent"] for i in data["top_intents"]} == {"greet", "nlu_fallback"}
    assert data["ratings"]["up"] == 0 and data["ratings"]["down"] == 1 and len(data["ratings"]["per_day"]) == 1


def test_a_view_scans_the_tracker_store_once(reviewer: TestClient, add_message, scans: list[float]):
    add_message("Hallo", "greet", 0.9)
    assert reviewer.get("/staff/api/dashboard?days=30").status_code == 200
    for name in CHARTS:
        chart = reviewer.get(f"/staff/api/charts/{name}.svg?days=30&t=1")
        assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
        assert ET.fromstring(chart.text).get("role") == "img"
    assert len(scans) == 1
    reviewer.get("/staff/api/dashboard?days=30")  # the next view (reload): fresh figures
    assert len(scans) == 2
    reviewer.get("/staff/api/charts/messages.svg?days=7")  # another period: its own figures
    assert len(scans) == 3


def test_charts_match_the_figures(reviewer: TestClient, add_message: Callable[..., int], scans: list[float]):
    add_message("Hallo", "greet", 0.9)
    add_message("Hallo nochmal", "greet", 0.9)
    intents = reviewer.get("/staff/api/charts/intents.svg?days=5").text  # a chart on its own computes the figures
    assert "Häufigste Absichten" in intents and "greet Nachrichten: 2" in intents
    assert "letzte 5 Tage" in reviewer.get("/staff/api/charts/messages.svg?days=5").text
    assert "Bewertungen pro Tag" in reviewer.get("/staff/api/charts/ratings.svg?days=5").text
    assert len(scans) == 1


def test_dashboard_and_charts_refuse_bad_input(reviewer: TestClient):
    assert reviewer.get("/staff/api/dashboard?days=0").status_code == 422
    assert reviewer.get("/staff/api/dashboard?days=367").status_code == 422
    assert reviewer.get("/staff/api/charts/pie.svg").status_code == 422


def test_dashboard_and_charts_need_a_session(anonymous: TestClient):
    assert_not_logged_in(anonymous.get("/staff/api/dashboard"))
    for name in CHARTS:
        assert_not_logged_in(anonymous.get(f"/staff/api/charts/{name}.svg"))
