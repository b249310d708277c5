from __future__ import annotations

from fastapi import APIRouter

from bot.backend.cases import STATUS_LABELS, check_case
from bot.backend.deps import ClockDep, SessionDep, SettingsDep
from bot.backend.schemas import CaseCheckIn, CaseEventOut, CaseStatusOut, ErrorOut

router = APIRouter(prefix="/api/cases", tags=["cases"])


@router.post(
    "/check",
    response_model=CaseStatusOut,
    summary="Status of a case, only with its access code",
    responses={403: {"model": ErrorOut}, 423: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
def check(body: CaseCheckIn, session: SessionDep, settings: SettingsDep, now: ClockDep) -> CaseStatusOut:
    """POST so that the access code never appears in URLs or access logs."""
    case = check_case(
        session,
        body.case_number,
        body.access_code,
        now=now,
        max_attempts=settings.lockout_attempts,
        lock_minutes=settings.lockout_minutes,
    )
    return CaseStatusOut(
        case_number=case.case_number,
        service=case.service.name,
        status=case.status,
        status_label=STATUS_LABELS[case.status],
        next_step=case.next_step,
        history=[
            CaseEventOut(date=e.date, status=e.status, status_label=STATUS_LABELS.get(e.status, e.status), note=e.note)
            for e in case.history
        ],
    )
