"""The catalogue as a whole: its life events, and the reload staff trigger after editing the files.

The reload is for the gateway's staff console and the `buergerbot catalogue reload` command on the
same machine: it answers callers on the loopback interface only (the backend listens there anyway;
this keeps it so behind a misconfigured proxy).
"""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter, HTTPException, Request

from bot.backend import catalogue
from bot.backend.deps import SessionDep, SettingsDep
from bot.backend.schemas import CatalogueProblemsOut, CatalogueReloadOut, ErrorOut, LifeEventOut
from bot.backend.seed import reload_catalogue

router = APIRouter(prefix="/api", tags=["catalogue"])

LOOPBACK_ONLY = "Der Katalog kann nur auf diesem Rechner neu geladen werden."


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("/life-events", response_model=list[LifeEventOut], summary="Life events and the services they lead to")
def life_events(session: SessionDep) -> list[LifeEventOut]:
    return [
        LifeEventOut(id=r.id, name=r.name, phrases=r.phrases, services=r.services)
        for r in catalogue.list_life_events(session)
    ]


@router.post(
    "/catalogue/reload",
    response_model=CatalogueReloadOut,
    summary="Re-read the catalogue files and replace the catalogue (loopback only)",
    responses={403: {"model": ErrorOut}, 422: {"model": CatalogueProblemsOut}},
)
def reload(request: Request, session: SessionDep, settings: SettingsDep) -> CatalogueReloadOut:
    if not _is_loopback(request.client.host if request.client else None):
        raise HTTPException(status_code=403, detail=LOOPBACK_ONLY)
    summary = reload_catalogue(session, settings.catalogue_dir)  # CatalogueError -> 422 in app.py
    return CatalogueReloadOut(**summary.__dict__)
