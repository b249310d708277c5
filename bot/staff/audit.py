"""The audit log: every review and model action, with who did it and when."""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa

from .tables import audit_log

logger = logging.getLogger(__name__)


def record(
    conn: sa.engine.Connection, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None
) -> None:
    """Inside the caller's transaction: the action and its audit entry commit together."""
    conn.execute(
        audit_log.insert().values(at=time.time(), actor=actor, action=action, target=target[:255], detail=detail or {})
    )
    logger.info("audit: %s %s", actor, action)  # targets may quote (redacted) citizen text: not at INFO


def entries(engine: sa.engine.Engine, limit: int = 200) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
        return [
            {"id": r.id, "at": r.at, "actor": r.actor, "action": r.action, "target": r.target, "detail": r.detail}
            for r in rows
        ]
