"""Background jobs (retraining) with progress kept in the staff database, so every gateway
replica and the command line see the same state."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from .errors import Conflict, NotFound
from .tables import jobs

logger = logging.getLogger(__name__)
Work = Callable[[Callable[[float, str], None]], dict[str, Any]]


def _public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status,
        "progress": row.progress,
        "stage": row.stage,
        "error": row.error,
        "result": row.result,
        "created_by": row.created_by,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
    }


def get(engine: sa.engine.Engine, job_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound("Auftrag", job_id)
    return _public(row)


def recent(engine: sa.engine.Engine, limit: int = 10) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [_public(r) for r in conn.execute(sa.select(jobs).order_by(jobs.c.id.desc()).limit(limit))]


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandon_running(engine: sa.engine.Engine) -> None:
    """At start-up: jobs left 'running' by a stopped process on this host will never finish.
    (Jobs of other replicas, or of live processes here, are left alone.)"""
    host = socket.gethostname()
    with engine.begin() as conn:
        for row in conn.execute(sa.select(jobs.c.id, jobs.c.owner).where(jobs.c.status == "running")).all():
            owner_host, _, pid = (row.owner or "").rpartition(":")
            if owner_host == host and pid.isdigit() and not _alive(int(pid)):
                conn.execute(
                    jobs.update()
                    .where(jobs.c.id == row.id)
                    .values(
                        status="failed", error="Abgebrochen: der Dienst wurde neu gestartet.", finished_at=time.time()
                    )
                )


def create(engine: sa.engine.Engine, kind: str, actor: str) -> int:
    with engine.begin() as conn:
        if conn.execute(sa.select(jobs.c.id).where(jobs.c.status == "running")).first():
            raise Conflict("Es läuft schon ein Training. Bitte warten Sie, bis es fertig ist.")
        return int(
            conn.execute(
                jobs.insert().values(
                    kind=kind,
                    status="running",
                    progress=0.0,
                    stage="Start",
                    created_by=actor,
                    owner=_owner(),
                    started_at=time.time(),
                )
            ).inserted_primary_key[0]
        )


def run(engine: sa.engine.Engine, job_id: int, work: Work) -> dict[str, Any]:
    """Run `work(progress)` and record its progress, result or error (a German message)."""
    last = [0.0]

    def progress(fraction: float, stage: str) -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - last[0] < 0.5:  # a few writes per second are plenty
            return
        last[0] = now
        with engine.begin() as conn:
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id)
                .values(progress=round(min(max(fraction, 0.0), 1.0), 3), stage=stage[:255])
            )

    try:
        result = work(progress)
    except Exception as exc:  # the job's failure is its result; the service stays up
        logger.exception("job %d failed", job_id)
        text = getattr(exc, "text", None) or f"Fehler: {type(exc).__name__}: {str(exc)[:300]}"
        with engine.begin() as conn:
            conn.execute(
                jobs.update().where(jobs.c.id == job_id).values(status="failed", error=text, finished_at=time.time())
            )
        raise
    with engine.begin() as conn:
        conn.execute(
            jobs.update()
            .where(jobs.c.id == job_id)
            .values(status="succeeded", progress=1.0, stage="Fertig", result=result, finished_at=time.time())
        )
    return result


def start_in_background(engine: sa.engine.Engine, kind: str, actor: str, work: Work) -> int:
    job_id = create(engine, kind, actor)

    def target() -> None:
        try:
            run(engine, job_id, work)
        except Exception:  # noqa: BLE001 - the failure is already recorded on the job
            logger.debug("job %d failed (recorded on the job)", job_id)

    threading.Thread(target=target, name=f"job-{job_id}", daemon=True).start()
    return job_id
