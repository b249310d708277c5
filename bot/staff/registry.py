"""The model registry: every trained candidate with its evaluation, which one is live, and history."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .errors import NotFound
from .tables import model_versions


def _public(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "path": row.path,
        "status": row.status,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "promoted_at": row.promoted_at,
        "promoted_by": row.promoted_by,
        "evaluation": row.evaluation,
        "exists": Path(row.path).exists(),
    }


def register(engine: sa.engine.Engine, path: Path, actor: str, status: str = "candidate") -> dict[str, Any]:
    """Add a model (or return it when it is known already)."""
    with engine.begin() as conn:
        row = conn.execute(sa.select(model_versions).where(model_versions.c.name == path.name)).first()
        if row is None:
            conn.execute(
                model_versions.insert().values(
                    name=path.name, path=str(path), created_at=time.time(), created_by=actor, status=status
                )
            )
            row = conn.execute(sa.select(model_versions).where(model_versions.c.name == path.name)).first()
    return _public(row)


def get(engine: sa.engine.Engine, name: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(model_versions).where(model_versions.c.name == name)).first()
    if row is None:
        raise NotFound("Modell", name)
    return _public(row)


def live(engine: sa.engine.Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(model_versions).where(model_versions.c.status == "live")).first()
    return _public(row) if row else None


def all_models(engine: sa.engine.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [_public(r) for r in conn.execute(sa.select(model_versions).order_by(model_versions.c.id.desc()))]


def set_evaluation(engine: sa.engine.Engine, name: str, evaluation: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(model_versions.update().where(model_versions.c.name == name).values(evaluation=evaluation))


def mark_live(conn: sa.engine.Connection, name: str, actor: str) -> None:
    """Inside the caller's transaction: `name` becomes live, the previous live model is retired."""
    conn.execute(model_versions.update().where(model_versions.c.status == "live").values(status="retired"))
    conn.execute(
        model_versions.update()
        .where(model_versions.c.name == name)
        .values(status="live", promoted_at=time.time(), promoted_by=actor)
    )


def previous_live(engine: sa.engine.Engine) -> dict[str, Any] | None:
    """The model that was live before the current one (the target of a rollback)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(model_versions)
            .where(model_versions.c.status == "retired", model_versions.c.promoted_at.isnot(None))
            .order_by(model_versions.c.promoted_at.desc())
        ).first()
    return _public(row) if row else None


def choose_model_to_run(live_model: dict[str, Any] | None, current: Path) -> Path:
    """At start-up: the latest decision wins. A model promoted (or rolled back to) after the current
    training data's model was built is kept; a newer training of changed data replaces it."""
    if (
        live_model
        and live_model["exists"]
        and live_model["promoted_at"]
        and (not current.exists() or live_model["promoted_at"] >= current.stat().st_mtime)
    ):
        return Path(live_model["path"])
    return current
