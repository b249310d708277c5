"""Export, conflicts and retraining jobs over HTTP (the training itself is replaced by a stub)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.gateway.routes.staff import training
from bot.staff import jobs

from .conftest import NO_CSRF, assert_csrf_refused, assert_not_logged_in

SUMMARY = {"model": "m.tar.gz", "exported": 1, "conflicts": 0, "heldout": {"live": 0.8, "candidate": 0.9}, "changed": 2}


def _wait(client: TestClient, job_id: int) -> dict[str, Any]:
    for _ in range(200):
        job = client.get(f"/staff/api/jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        time.sleep(0.02)
    raise AssertionError("job did not finish")


def test_export_writes_reviewed_examples(reviewer: TestClient, add_message: Callable[..., int], app):
    event = add_message("Ich brauche einen Reisepass", "greet", 0.4)
    reviewer.post(f"/staff/api/messages/{event}/review", json={"decision": "correct", "intent": "ask_documents"})
    response = reviewer.post("/staff/api/export")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {"exported": 1, "already_in_training_data": 0, "conflicts": [], "path": body["path"]}
    assert "Reisepass" in (app.state.settings.training_data_dir / "nlu" / "reviewed.yml").read_text()


def test_export_needs_a_session_and_the_csrf_token(anonymous: TestClient, reviewer: TestClient):
    assert_not_logged_in(anonymous.post("/staff/api/export"))
    assert_csrf_refused(reviewer.post("/staff/api/export", headers=NO_CSRF))


def test_conflicts_are_listed_and_resolved(reviewer: TestClient, anonymous: TestClient, add_message):
    event = add_message("Hallo", "goodbye", 0.4)  # "Hallo" is a greet example in the training data
    reviewer.post(f"/staff/api/messages/{event}/review", json={"decision": "correct", "intent": "goodbye"})
    conflicts = reviewer.get("/staff/api/conflicts").json()
    assert conflicts == [
        {
            "text": "Hallo",
            "key": "hallo",
            "training_data": "greet",
            "reviews": [{"intent": "goodbye", "reviewer": "reviewer", "event_id": event}],
        }
    ]
    assert_not_logged_in(anonymous.get("/staff/api/conflicts"))
    resolved = reviewer.post("/staff/api/conflicts/resolve", json={"key": "hallo", "intent": "greet"})
    assert resolved.status_code == 200 and resolved.json() == {"reviews": 1}
    assert reviewer.get("/staff/api/conflicts").json() == []


def test_resolve_refusals(reviewer: TestClient, anonymous: TestClient):
    unknown = reviewer.post("/staff/api/conflicts/resolve", json={"key": "hallo", "intent": "fly"})
    assert unknown.status_code == 422 and unknown.json()["detail"] == "Unbekannte Absicht 'fly'."
    assert reviewer.post("/staff/api/conflicts/resolve", json={}).status_code == 422
    assert_not_logged_in(anonymous.post("/staff/api/conflicts/resolve", json={"key": "x"}))
    assert_csrf_refused(reviewer.post("/staff/api/conflicts/resolve", json={"key": "x"}, headers=NO_CSRF))


@pytest.fixture
def stub_retrain(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    actors: list[str] = []

    def fake(_settings, _staff, actor, progress):
        actors.append(actor)
        progress(0.5, "Halbzeit")
        return SUMMARY

    monkeypatch.setattr(training, "retrain", fake)
    return actors


def test_retrain_starts_a_job_and_reports_its_result(reviewer: TestClient, stub_retrain: list[str]):
    response = reviewer.post("/staff/api/retrain")
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["kind"] == "retrain" and started["created_by"] == "reviewer"
    finished = _wait(reviewer, started["id"])
    assert finished["status"] == "succeeded" and finished["progress"] == 1.0 and finished["result"] == SUMMARY
    assert stub_retrain == ["reviewer"]
    assert [j["id"] for j in reviewer.get("/staff/api/jobs").json()] == [started["id"]]


def test_a_failed_job_says_why_in_german(reviewer: TestClient, monkeypatch: pytest.MonkeyPatch):
    def broken(*_args):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(training, "retrain", broken)
    job = _wait(reviewer, reviewer.post("/staff/api/retrain").json()["id"])
    assert job["status"] == "failed" and job["result"] is None and "kaputt" in job["error"]


def test_only_one_retraining_at_a_time(reviewer: TestClient, app):
    jobs.create(app.state.staff.staff, "retrain", "admin")  # "running", in this process
    response = reviewer.post("/staff/api/retrain")
    assert response.status_code == 409 and "läuft schon" in response.json()["detail"]


def test_retrain_needs_a_session_and_the_csrf_token(anonymous: TestClient, reviewer: TestClient, stub_retrain):
    assert_not_logged_in(anonymous.post("/staff/api/retrain"))
    assert_csrf_refused(reviewer.post("/staff/api/retrain", headers=NO_CSRF))
    assert stub_retrain == []


def test_jobs_need_a_session_and_unknown_jobs_are_404(anonymous: TestClient, reviewer: TestClient):
    assert reviewer.get("/staff/api/jobs").json() == []
    assert_not_logged_in(anonymous.get("/staff/api/jobs"))
    assert_not_logged_in(anonymous.get("/staff/api/jobs/1"))
    missing = reviewer.get("/staff/api/jobs/77")
    assert missing.status_code == 404 and missing.json()["detail"] == "Auftrag 77 wurde nicht gefunden."


def test_job_ids_no_database_row_can_have_are_invalid_input(reviewer: TestClient):
    """Found by schemathesis: 2**63 overflowed SQLite's driver, a 500."""
    for job_id in (2**63, 10**30, 0):
        refused = reviewer.get(f"/staff/api/jobs/{job_id}")
        assert refused.status_code == 422 and refused.json()["detail"].startswith("Ungültige Anfrage"), job_id
