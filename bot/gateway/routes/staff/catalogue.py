"""Reloading the service catalogue (admins): the backend re-reads data/catalogue and replaces its
catalogue in one transaction; the NLU's resolver notices the changed files by itself."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.staff import audit

from .deps import ActingAdmin, Staff
from .schemas import CHANGE, errors

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/catalogue", tags=["staff: Katalog"])

BACKEND_DOWN = "Das Service-Backend ist gerade nicht erreichbar. Der Katalog wurde nicht neu geladen."
BACKEND_FAILED = "Das Service-Backend konnte den Katalog nicht neu laden. Bitte versuchen Sie es später erneut."
RELOAD_TIMEOUT_SECONDS = 60.0  # 150+ services and their validation take well under a second; be generous


class ReloadOut(BaseModel):
    offices: int
    services: int
    life_events: int
    added: list[str] = Field(..., description="Ids of services that are new.")
    removed: list[str] = Field(..., description="Ids of services that are gone.")


class ProblemsOut(BaseModel):
    detail: str
    problems: list[str] = Field(..., description="Every problem, naming file and record; nothing was changed.")


def _backend_url(request: Request) -> str:
    url: str = request.app.state.settings.backend_url
    return url.rstrip("/")


@router.post(
    "/reload",
    response_model=ReloadOut,
    summary="Re-read the catalogue files in the backend (admins)",
    responses={**CHANGE, 422: {"model": ProblemsOut}, **errors(503)},
)
async def reload_catalogue(request: Request, user: ActingAdmin, ctx: Staff) -> Any:
    url = f"{_backend_url(request)}/api/catalogue/reload"
    try:
        async with httpx.AsyncClient(timeout=RELOAD_TIMEOUT_SECONDS) as client:
            response = await client.post(url)
    except httpx.HTTPError as exc:
        logger.warning("catalogue reload: backend at %s unreachable: %s", url, exc)
        return JSONResponse(status_code=503, content={"detail": BACKEND_DOWN})
    if response.status_code == 422:
        body = response.json()
        problems = [str(p) for p in body.get("problems", [])]
        with ctx.staff.begin() as conn:
            audit.record(conn, user.name, "catalogue.reload_refused", "", {"problems": len(problems)})
        return JSONResponse(status_code=422, content={"detail": body.get("detail", ""), "problems": problems})
    if response.status_code != 200:
        logger.warning("catalogue reload: backend answered %s", response.status_code)
        return JSONResponse(status_code=503, content={"detail": BACKEND_FAILED})
    summary = ReloadOut(**response.json())
    with ctx.staff.begin() as conn:
        audit.record(
            conn,
            user.name,
            "catalogue.reload",
            "",
            {"services": summary.services, "added": summary.added, "removed": summary.removed},
        )
    return summary
