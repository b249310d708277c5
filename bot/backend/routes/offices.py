from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from bot.backend import catalogue
from bot.backend.deps import ClockDep, SessionDep, SettingsDep
from bot.backend.schemas import ErrorOut, HolidayOut, OfficeOut
from bot.backend.tables import OfficeRecord
from bot.core.opening_hours import ClosedDays, format_week, holidays_in_week, open_state
from bot.infra.holiday_calendar import closed_days

router = APIRouter(prefix="/api/offices", tags=["offices"])


def to_out(record: OfficeRecord, now: datetime, closed: ClosedDays) -> OfficeOut:
    state = open_state(record.opening_hours, now, closed)
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
        as_of=now,
        closed_today=HolidayOut(date=state.closed_today.date, name=state.closed_today.name)
        if state.closed_today
        else None,
        holidays_this_week=[HolidayOut(date=h.date, name=h.name) for h in holidays_in_week(now.date(), closed)],
        accessibility=record.accessibility,
        transport=record.transport,
    )


@router.get("", response_model=list[OfficeOut], summary="All offices with opening state")
def list_offices(session: SessionDep, settings: SettingsDep, now: ClockDep) -> list[OfficeOut]:
    closed = closed_days(settings.federal_state, now.date())
    return [to_out(r, now, closed) for r in catalogue.list_offices(session)]


@router.get("/{office_id}", response_model=OfficeOut, responses={404: {"model": ErrorOut}})
def get_office(office_id: str, session: SessionDep, settings: SettingsDep, now: ClockDep) -> OfficeOut:
    closed = closed_days(settings.federal_state, now.date())
    return to_out(catalogue.get_office(session, office_id), now, closed)
