"""The audit log (admins): every review and model action, with who did it and when."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bot.staff import audit

from .deps import AdminUser, Staff
from .schemas import errors

router = APIRouter(prefix="/api", tags=["staff: Protokoll"])


class AuditEntry(BaseModel):
    id: int
    at: float
    actor: str
    action: str = Field(..., example="model.promote")
    target: str
    detail: dict[str, Any]


@router.get(
    "/audit", response_model=list[AuditEntry], summary="The latest entries, newest first", responses=errors(401, 403)
)
def audit_log(_admin: AdminUser, ctx: Staff, limit: int = Query(200, ge=1, le=1000)) -> list[AuditEntry]:
    return [AuditEntry(**e) for e in audit.entries(ctx.staff, limit)]
