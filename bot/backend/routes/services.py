from __future__ import annotations

from fastapi import APIRouter, Query

from bot.backend import catalogue
from bot.backend.deps import SessionDep
from bot.backend.schemas import ErrorOut, FormOut, OfficeRef, ServiceMatchOut, ServiceOut
from bot.backend.tables import ServiceRecord

router = APIRouter(prefix="/api/services", tags=["services"])


def to_out(record: ServiceRecord) -> ServiceOut:
    return ServiceOut(
        id=record.id,
        name=record.name,
        description=record.description,
        documents=record.documents,
        fees=record.fees,
        processing_time=record.processing_time,
        office=OfficeRef(id=record.office.id, name=record.office.name),
        appointment_required=record.appointment_required,
        online_url=record.online_url,
        keywords=record.keywords,
        leika=record.leika,
        appointment=record.appointment or ("required" if record.appointment_required else "none"),
        synonyms=record.synonyms or [],
        life_events=record.life_events or [],
        prerequisites=record.prerequisites or [],
        deadlines=record.deadlines or "",
        forms=[FormOut(**form) for form in record.forms or []],
        legal_basis=record.legal_basis or [],
        demo=True if record.demo is None else record.demo,
    )


@router.get("", response_model=list[ServiceOut], summary="All services of the catalogue")
def list_services(session: SessionDep) -> list[ServiceOut]:
    return [to_out(r) for r in catalogue.list_services(session)]


@router.get(
    "/search",
    response_model=list[ServiceMatchOut],
    summary="Closest services to free text (typos and colloquial names welcome)",
)
def search_services(
    session: SessionDep,
    q: str = Query(..., min_length=1, max_length=2000, description="Free text"),
    limit: int = Query(3, ge=1, le=10),
) -> list[ServiceMatchOut]:
    matches = catalogue.rank_services(q, catalogue.list_services(session), limit=limit)
    return [ServiceMatchOut(id=m.service_id, name=m.name, score=m.score) for m in matches]


@router.get("/{service_id}", response_model=ServiceOut, responses={404: {"model": ErrorOut}})
def get_service(service_id: str, session: SessionDep) -> ServiceOut:
    return to_out(catalogue.get_service(session, service_id))
