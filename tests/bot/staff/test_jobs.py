"""Background jobs: progress, result, failure, one at a time, abandoned after a restart."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.staff import jobs
from bot.staff.errors import Conflict, InvalidInput
from bot.staff.tables import connect


@pytest.fixture
def engine(tmp_path: Path):
    engine = connect(f"sqlite:///{tmp_path / 'staff.db'}")
    yield engine
    engine.dispose()


def test_a_job_records_progress_and_result(engine):
    job_id = jobs.create(engine, "retrain", "anna")

    def work(progress):
        progress(0.5, "halb")
        assert jobs.get(engine, job_id)["stage"] == "halb"
        return {"model": "m.tar.gz"}

    assert jobs.run(engine, job_id, work) == {"model": "m.tar.gz"}
    job = jobs.get(engine, job_id)
    assert (job["status"], job["progress"], job["result"]) == ("succeeded", 1.0, {"model": "m.tar.gz"})


def test_a_failed_job_keeps_a_german_message(engine):
    job_id = jobs.create(engine, "retrain", "anna")

    def work(_progress):
        raise InvalidInput("Die Trainingsdaten sind ungültig.")

    with pytest.raises(InvalidInput):
        jobs.run(engine, job_id, work)
    job = jobs.get(engine, job_id)
    assert job["status"] == "failed" and job["error"] == "Die Trainingsdaten sind ungültig."


def test_only_one_job_runs_at_a_time_and_restarts_abandon_it(engine):
    import socket

    from bot.staff.tables import jobs as jobs_table

    job_id = jobs.create(engine, "retrain", "anna")
    with pytest.raises(Conflict):
        jobs.create(engine, "retrain", "ben")
    jobs.abandon_running(engine)
    assert jobs.get(engine, job_id)["status"] == "running"  # its process (this one) is alive
    with engine.begin() as conn:  # as if a process that has exited had started it
        conn.execute(jobs_table.update().values(owner=f"{socket.gethostname()}:99999999"))
    jobs.abandon_running(engine)
    assert jobs.get(engine, job_id)["status"] == "failed"
    jobs.create(engine, "retrain", "ben")


def test_background_job_finishes(engine):
    done = threading.Event()
    job_id = jobs.start_in_background(engine, "retrain", "anna", lambda progress: done.set() or {"ok": True})
    assert done.wait(10)
    for _ in range(100):
        if jobs.get(engine, job_id)["status"] == "succeeded":
            break
        threading.Event().wait(0.05)
    assert jobs.get(engine, job_id)["result"] == {"ok": True}
