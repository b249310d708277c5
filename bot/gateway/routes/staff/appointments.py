"""Appointments in the staff console (agents and admins): an office's bookings for a day or a week,
its closures (add, delete) and marking a citizen who did not come. The gateway forwards to the
backend's internal routes (docs/appointments.md, "Internal routes") with the backend's service token;
it never imports the backend. Citizens' e-mail addresses reach admins only; closures and no-shows are
audited. The dashboard's no-show count is summed here from the offices' bookings (the backend has no
count of its own)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import httpx
from fastapi import Depends, Path, Query, Request
from fastapi.routing import APIRouter
from pydantic import BaseModel, Field

from bot.staff import audit
from bot.staff.accounts import StaffUser
from bot.staff.errors import StaffError

from .deps import ActingUser, Staff, StaffUserDep
from .schemas import CHANGE, READ, OkOut, errors, row_id_path

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/appointments", tags=["staff: Termine"])

BACKEND_DOWN = "Der Fachdienst ist nicht erreichbar. Bitte versuchen Sie es später erneut."
BACKEND_REFUSED = (
    "Der Fachdienst hat die Anfrage der Konsole abgelehnt (Dienst-Token fehlt oder ist falsch). "
    "Bitte wenden Sie sich an die Administration."
)
BACKEND_FAILED = "Der Fachdienst hat einen Fehler gemeldet. Bitte versuchen Sie es später erneut."
NOT_FOUND = "Der Eintrag wurde beim Fachdienst nicht gefunden. Bitte laden Sie die Ansicht neu."
NO_SHOW_REFUSED = (
    "Der Termin kann nicht als „nicht erschienen“ markiert werden: Er hat noch nicht begonnen oder wurde abgesagt."
)
CONFLICT = "Der Termin wurde inzwischen geändert. Bitte laden Sie die Ansicht neu."
END_BEFORE_START = "Das Ende der Schließung muss nach ihrem Beginn liegen."
RANGE_TOO_LONG = "Bitte wählen Sie höchstens 92 Tage."
TIMEOUT_SECONDS = 10.0
MAX_VIEW_DAYS = 92  # the backend's limit of one bookings view
OFFICE_ID_REGEX = r"^[a-z][a-z0-9_]{1,63}$"  # the backend's catalogue ids

OfficeId = Annotated[str, Path(..., pattern=OFFICE_ID_REGEX, description="The office's catalogue id")]
ClosureId = Annotated[int, row_id_path("The closure's id")]
BookingId = Annotated[int, row_id_path("The booking's id")]
FromDay = Query(None, alias="from", description="First day (ISO), inclusive.")
ToDay = Query(None, alias="to", description="Last day (ISO), inclusive.")


class AppointmentsForbidden(StaffError):
    status = 403
    code = "forbidden"

    def __init__(self, name: str) -> None:
        super().__init__("Für die Termine fehlt Ihnen die Berechtigung (Rolle „agent“ oder Administration).")
        self.name = name


class BackendAnswer(StaffError):
    """The backend did not do what was asked: German text for staff and the status to answer with."""

    def __init__(self, status: int, text: str, code: str = "backend") -> None:
        super().__init__(text)
        self.status = status
        self.code = code


class InvalidRange(StaffError):
    status = 422
    code = "invalid_input"


# --- the backend -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentsBackend:
    """The backend's appointment API as the console uses it (tests give it an in-process transport)."""

    url: str
    token: str | None
    transport: httpx.AsyncBaseTransport | None = None

    def client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.AsyncClient(
            base_url=self.url.rstrip("/"), headers=headers, timeout=TIMEOUT_SECONDS, transport=self.transport
        )

    async def call(
        self, method: str, path: str, *, params: dict[str, str] | None = None, json: Any = None, refused: str = CONFLICT
    ) -> Any:
        async with self.client() as client:
            return await send(client, method, path, params=params, json=json, refused=refused)


async def send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    json: Any = None,
    refused: str = CONFLICT,
) -> Any:
    """One call; the backend's refusals become German staff errors (`refused`: the text of a 409)."""
    try:
        response = await client.request(method, path, params=params, json=json)
    except httpx.HTTPError as exc:
        logger.warning("appointments: backend unreachable (%s %s): %s", method, path, type(exc).__name__)
        raise BackendAnswer(503, BACKEND_DOWN, "backend_unavailable") from exc
    status = response.status_code
    if status < 300:
        return response.json() if response.content else None
    if status in (401, 403):  # the service token: missing, wrong, or not configured in the backend
        logger.warning("appointments: backend refused the service token (%s %s): %s", method, path, status)
        raise BackendAnswer(503, BACKEND_REFUSED, "backend_refused")
    if status == 404:
        raise BackendAnswer(404, NOT_FOUND, "not_found")
    if status == 409:
        raise BackendAnswer(409, refused, "conflict")
    if status == 422:
        detail = _detail(response)
        raise BackendAnswer(422, detail or "Die Eingaben sind ungültig. Bitte prüfen Sie sie.", "invalid_input")
    logger.warning("appointments: backend answered %s to %s %s", status, method, path)
    raise BackendAnswer(503, BACKEND_FAILED, "backend_failed")


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return detail if isinstance(detail, str) else ""


def city_today(request: Request) -> date:
    """Today in the city's time zone (tests override this dependency)."""
    return datetime.now(ZoneInfo(request.app.state.settings.timezone)).date()


def appointments_backend(request: Request) -> AppointmentsBackend:
    settings = request.app.state.settings
    token = settings.backend_token.get_secret_value() if settings.backend_token else None
    return AppointmentsBackend(settings.backend_url, token)


Backend = Annotated[AppointmentsBackend, Depends(appointments_backend)]


# --- who may ------------------------------------------------------------------------------------------


def _allowed(user: StaffUser) -> StaffUser:
    if not (user.can_answer or user.is_admin):
        raise AppointmentsForbidden(user.name)
    return user


def _reader(user: StaffUserDep) -> StaffUser:
    return _allowed(user)


def _actor(user: ActingUser) -> StaffUser:
    return _allowed(user)


Reader = Annotated[StaffUser, Depends(_reader)]  # reads: agents and admins
Actor = Annotated[StaffUser, Depends(_actor)]  # changes: agents and admins, with the CSRF token


# --- models -------------------------------------------------------------------------------------------


class OfficeBrief(BaseModel):
    id: str
    name: str


class BookingOut(BaseModel):
    id: int
    status: Literal["booked", "cancelled", "no_show"]
    service_id: str
    service_name: str
    counter: int
    start: datetime
    end: datetime
    name: str = Field(..., description="The citizen's name.")
    email: str | None = Field(None, description="The citizen's address: admins only, else null.")


class ClosureOut(BaseModel):
    id: int
    start: datetime
    end: datetime
    reason: str
    affected_bookings: list[int] = Field(..., description="Open bookings inside it (not cancelled: tell them).")


class ClosureIn(BaseModel):
    start: datetime = Field(..., example="2026-12-08T08:00", description="Without offset: the city's time.")
    end: datetime = Field(..., example="2026-12-08T12:00")
    reason: str = Field("", max_length=200, example="Personalversammlung")


class OfficeNoShows(BaseModel):
    id: str
    name: str
    count: int


class NoShowsOut(BaseModel):
    days: int
    total: int = Field(..., description="Bookings marked as no-shows that began in the last `days` days.")
    offices: list[OfficeNoShows] = Field(..., description="Offices with at least one, most first.")


def booking_out(raw: dict[str, Any], user: StaffUser) -> BookingOut:
    """Only what the view needs; the e-mail address for admins only."""
    booking = BookingOut(**{key: raw[key] for key in BookingOut.__fields__ if key != "email"})
    if user.is_admin:
        booking.email = str(raw.get("email", "")) or None
    return booking


def closure_out(raw: dict[str, Any]) -> ClosureOut:
    return ClosureOut(**{key: raw[key] for key in ClosureOut.__fields__})


def _days(first: date | None, last: date | None) -> dict[str, str]:
    if first and last and (last - first).days >= MAX_VIEW_DAYS:
        raise InvalidRange(RANGE_TOO_LONG)
    params = {}
    if first:
        params["from"] = first.isoformat()
    if last:
        params["to"] = last.isoformat()
    return params


# --- routes -------------------------------------------------------------------------------------------


@router.get(
    "/offices",
    response_model=list[OfficeBrief],
    summary="The offices of the catalogue, by name",
    responses={**READ, **errors(403, 503)},
)
async def offices(user: Reader, backend: Backend) -> list[OfficeBrief]:
    found = await backend.call("GET", "/api/offices")
    return sorted((OfficeBrief(id=o["id"], name=o["name"]) for o in found), key=lambda o: o.name)


@router.get(
    "/offices/{office_id}/bookings",
    response_model=list[BookingOut],
    summary="An office's bookings from..to (inclusive, at most 92 days), cancelled ones and no-shows included",
    responses={**READ, **errors(403, 404, 422, 503)},
)
async def office_bookings(
    office_id: OfficeId,
    user: Reader,
    backend: Backend,
    first_day: date | None = FromDay,
    last_day: date | None = ToDay,
) -> list[BookingOut]:
    found = await backend.call(
        "GET", f"/api/appointments/offices/{office_id}/bookings", params=_days(first_day, last_day)
    )
    return [booking_out(raw, user) for raw in found]


@router.get(
    "/offices/{office_id}/closures",
    response_model=list[ClosureOut],
    summary="An office's closures that overlap from..to (default: a year from today)",
    responses={**READ, **errors(403, 404, 503)},
)
async def office_closures(
    office_id: OfficeId,
    user: Reader,
    backend: Backend,
    first_day: date | None = FromDay,
    last_day: date | None = ToDay,
) -> list[ClosureOut]:
    params = {key: day.isoformat() for key, day in (("from", first_day), ("to", last_day)) if day}
    found = await backend.call("GET", f"/api/appointments/offices/{office_id}/closures", params=params)
    return [closure_out(raw) for raw in found]


@router.post(
    "/offices/{office_id}/closures",
    response_model=ClosureOut,
    summary="Close an office for a time (bookings inside it are listed, not cancelled); audited",
    responses={**CHANGE, **errors(404, 503)},
)
async def add_closure(
    office_id: OfficeId, body: ClosureIn, request: Request, user: Actor, ctx: Staff, backend: Backend
) -> ClosureOut:
    zone = ZoneInfo(request.app.state.settings.timezone)
    start, end = (t.replace(tzinfo=zone) if t.tzinfo is None else t for t in (body.start, body.end))
    if end <= start:
        raise InvalidRange(END_BEFORE_START)
    payload = {"start": body.start.isoformat(), "end": body.end.isoformat(), "reason": body.reason}
    closure = closure_out(await backend.call("POST", f"/api/appointments/offices/{office_id}/closures", json=payload))
    with ctx.staff.begin() as conn:
        audit.record(
            conn,
            user.name,
            "appointment.closure_add",
            office_id,
            {
                "closure": closure.id,
                "start": closure.start.isoformat(),
                "end": closure.end.isoformat(),
                "reason": closure.reason,
                "affected_bookings": len(closure.affected_bookings),
            },
        )
    return closure


@router.delete(
    "/closures/{closure_id}",
    response_model=OkOut,
    summary="Remove a closure; audited",
    responses={**CHANGE, **errors(404, 503)},
)
async def delete_closure(closure_id: ClosureId, user: Actor, ctx: Staff, backend: Backend) -> OkOut:
    await backend.call("DELETE", f"/api/appointments/closures/{closure_id}")
    with ctx.staff.begin() as conn:
        audit.record(conn, user.name, "appointment.closure_delete", f"Schließung {closure_id}")
    return OkOut()


@router.post(
    "/bookings/{booking_id}/no-show",
    response_model=BookingOut,
    summary="Mark that the citizen did not come (once the appointment has begun); audited",
    responses={**CHANGE, **errors(404, 409, 503)},
)
async def no_show(booking_id: BookingId, user: Actor, ctx: Staff, backend: Backend) -> BookingOut:
    raw = await backend.call("POST", f"/api/appointments/bookings/{booking_id}/no-show", refused=NO_SHOW_REFUSED)
    booking = booking_out(raw, user)
    with ctx.staff.begin() as conn:  # no citizen's name in the log: the booking's id names it
        audit.record(
            conn,
            user.name,
            "appointment.no_show",
            f"Termin {booking.id}",
            {
                "office": str(raw.get("office_id", "")),
                "service": booking.service_id,
                "start": booking.start.isoformat(),
            },
        )
    return booking


@router.get(
    "/no-shows",
    response_model=NoShowsOut,
    summary="No-shows of the last `days` days over every office (the dashboard); counts only, any staff role",
    responses={**READ, **errors(503)},
)
async def no_shows(
    user: StaffUserDep,
    backend: Backend,
    today: Annotated[date, Depends(city_today)],
    days: int = Query(30, ge=1, le=366, description="The period: the last `days` days."),
) -> NoShowsOut:
    first = today - timedelta(days=days - 1)
    chunks = []
    while first <= today:
        last = min(today, first + timedelta(days=MAX_VIEW_DAYS - 1))
        chunks.append({"from": first.isoformat(), "to": last.isoformat()})
        first = last + timedelta(days=1)
    async with backend.client() as client:
        offices = await send(client, "GET", "/api/offices")

        async def count(office: dict[str, Any]) -> OfficeNoShows:
            total = 0
            for params in chunks:
                found = await send(client, "GET", f"/api/appointments/offices/{office['id']}/bookings", params=params)
                total += sum(1 for b in found if b.get("status") == "no_show")
            return OfficeNoShows(id=office["id"], name=office["name"], count=total)

        counts = await asyncio.gather(*(count(office) for office in offices))
    with_some = sorted((c for c in counts if c.count), key=lambda c: (-c.count, c.name))
    return NoShowsOut(days=days, total=sum(c.count for c in counts), offices=with_some)
