from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from bot.backend import catalogue
from bot.backend.deps import SessionDep, SettingsDep
from bot.backend.opening_hours import format_week, open_state
from bot.backend.schemas import ErrorOut, OfficeOut
from bot.backend.tables import OfficeRecord

router = APIRouter(prefix="/api/offices", tags=["offices"])


def to_out(record: OfficeRecord, now: datetime) -> OfficeOut:
    state = open_state(record.opening_hours, now)
    return OfficeOut(
        id=record.id,
        name=record.name,
        street=record.street,
        postal_code=record.postal_code,
        city=record.city,
        phone=record.phone,
        email=record.email,
        opening_hours=record.opening_hours,
        opening_hours_text=format_week(record.opening_hours),
        open_now=state.open_now,
        changes_at=state.changes_at,
        accessibility=record.accessibility,
        transport=record.transport,
    )


@router.get("", response_model=list[OfficeOut], summary="All offices with opening state")
def list_offices(session: SessionDep, settings: SettingsDep) -> list[OfficeOut]:
    now = datetime.now(ZoneInfo(settings.timezone))
    return [to_out(r, now) for r in catalogue.list_offices(session)]


@router.get("/{office_id}", response_model=OfficeOut, responses={404: {"model": ErrorOut}})
def get_office(office_id: str, session: SessionDep, settings: SettingsDep) -> OfficeOut:
    return to_out(catalogue.get_office(session, office_id), datetime.now(ZoneInfo(settings.timezone)))
