"""Pydantic (v1) payloads of the appointment API (docs/appointments.md). Times are ISO 8601 with
their offset, in Europe/Berlin; a time without an offset in a request is Europe/Berlin time."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field, root_validator, validator

from bot.backend.schemas import OfficeRef
from bot.backend.security import normalize_access_code
from bot.core.appointment_slots import BERLIN
from bot.core.contact import clean, parse_email, parse_name

ID_REGEX = r"^[a-z][a-z0-9_]{1,63}$"
CLIENT_KEY_REGEX = r"^[A-Za-z0-9._:@=+/\-]{1,128}$"
CODE_REGEX = r"^[A-Z0-9]{4,20}$"
HOLD_ID_REGEX = r"^[A-Za-z0-9_\-]{10,40}$"
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def berlin(moment: datetime) -> datetime:
    """A request's moment, aware in Europe/Berlin; refused outside 2000–2099 (nothing is booked there)."""
    aware = moment.replace(tzinfo=BERLIN) if moment.tzinfo is None else moment
    if not EARLIEST <= aware < LATEST:
        raise ValueError("Zeitpunkt außerhalb der Jahre 2000 bis 2099")
    return aware.astimezone(BERLIN)


class SlotOut(BaseModel):
    office: OfficeRef
    start: datetime = Field(..., description="Start, Europe/Berlin with offset, e.g. 2026-12-08T10:15:00+01:00")
    end: datetime
    label: str = Field(..., description='Absolute date for the citizen: "Dienstag, 8. Dezember 2026, 10:15 Uhr"')
    free_counters: int = Field(..., description="Counters still free at this time (1 = the last one).")


class ServiceBrief(BaseModel):
    id: str
    name: str
    appointment: Literal["required", "recommended", "none"]


class SlotsOut(BaseModel):
    service: ServiceBrief
    first_day: date
    last_day: date
    slots: list[SlotOut] = Field(..., description="Nearest first; empty: no free slot in the range.")


class HoldIn(BaseModel):
    service: str = Field(..., regex=ID_REGEX, example="reisepass")
    office: str = Field(..., regex=ID_REGEX, example="buergeramt")
    start: datetime = Field(..., example="2026-12-08T10:15:00+01:00")
    client_key: str = Field(
        ...,
        regex=CLIENT_KEY_REGEX,
        description="Who asks (e.g. a hash of the chat's sender id): one live hold and a hold limit per key.",
        example="web:3f9a1c",
    )

    _start = validator("start", allow_reuse=True)(berlin)


class HoldOut(BaseModel):
    id: str = Field(..., description="The hold's id: whoever knows it can confirm it.")
    service: ServiceBrief
    office: OfficeRef
    start: datetime
    end: datetime
    label: str
    expires_at: datetime


class ConfirmIn(BaseModel):
    name: str = Field(..., max_length=500, example="Erika Mustermann")
    email: str = Field(..., max_length=500, example="erika.mustermann@example.de")

    @validator("name")
    def _name(cls, value: str) -> str:  # noqa: N805 - pydantic validator signature
        return parse_name(value)

    @validator("email")
    def _email(cls, value: str) -> str:  # noqa: N805 - pydantic validator signature
        return parse_email(value)


class OfficeOutBrief(BaseModel):
    id: str
    name: str
    address: str


class BookingOut(BaseModel):
    id: int
    status: Literal["booked", "cancelled", "no_show"]
    service: ServiceBrief
    office: OfficeOutBrief
    start: datetime
    end: datetime
    label: str
    documents: list[str] = Field(..., description="What to bring, from the catalogue.")
    ics_url: str = Field(..., description="Backend path of the booking's .ics (signed token; no code needed).")


class ConfirmedOut(BookingOut):
    code: str = Field(..., description="The booking code (10 characters, no 0/O/1/I/L). Show it; it is not stored.")
    repeated: bool = Field(..., description="True: a repeated confirm with the same Idempotency-Key.")


def _normalize_code(value: str) -> str:
    normalized = normalize_access_code(value)
    if not normalized or len(normalized) > 20 or not normalized.isascii() or not normalized.isalnum():
        raise ValueError("Buchungscode mit 10 Buchstaben und Ziffern erwartet")
    return normalized


class CodeIn(BaseModel):
    code: str = Field(..., max_length=60, example="K7M2Q9XABC")
    email: str = Field(..., max_length=500, example="erika.mustermann@example.de")

    _code = validator("code", allow_reuse=True)(_normalize_code)

    @validator("email")
    def _email(cls, value: str) -> str:  # noqa: N805 - pydantic validator signature
        return parse_email(value)


class CancelIn(BaseModel):
    """Either code and e-mail (in the chat), or booking id and token (the link in the e-mails)."""

    code: str | None = Field(None, max_length=60)
    email: str | None = Field(None, max_length=500)
    booking_id: int | None = Field(None, ge=1, le=2**62)
    token: str | None = Field(None, max_length=100)

    @validator("code")
    def _code(cls, value: str | None) -> str | None:  # noqa: N805 - pydantic validator signature
        return None if value is None else _normalize_code(value)

    @validator("email")
    def _email(cls, value: str | None) -> str | None:  # noqa: N805 - pydantic validator signature
        return None if value is None else parse_email(value)

    @root_validator(skip_on_failure=True)
    def _either(cls, values: dict[str, object]) -> dict[str, object]:  # noqa: N805 - pydantic validator signature
        by_code = values.get("code") is not None and values.get("email") is not None
        by_link = values.get("booking_id") is not None and values.get("token") is not None
        if by_code == by_link:
            raise ValueError("entweder code und email oder booking_id und token angeben")
        return values


class MoveIn(CodeIn):
    hold_id: str = Field(..., regex=HOLD_ID_REGEX, description="A hold of the new slot (same service).")


class AppointmentErrorOut(BaseModel):
    detail: str = Field(..., description="German, for the citizen.")
    code: str = Field(..., description="Machine-readable reason, e.g. slot_taken (docs/appointments.md).")
    next_slots: list[SlotOut] | None = None
    attempts_left: int | None = None
    retry_after_seconds: int | None = None
    online_url: str | None = None


# --- staff ---


class StaffBookingOut(BaseModel):
    id: int
    status: Literal["booked", "cancelled", "no_show"]
    service_id: str
    service_name: str
    office_id: str
    counter: int
    start: datetime
    end: datetime
    name: str
    email: str
    created_at: datetime


class ClosureIn(BaseModel):
    start: datetime = Field(..., example="2026-12-24T00:00:00")
    end: datetime = Field(..., example="2026-12-25T00:00:00")
    reason: str = Field("", max_length=200, example="Personalversammlung")

    _times = validator("start", "end", allow_reuse=True)(berlin)

    @validator("reason")
    def _reason(cls, value: str) -> str:  # noqa: N805 - pydantic validator signature
        return clean(value)

    @root_validator(skip_on_failure=True)
    def _order(cls, values: dict[str, datetime]) -> dict[str, datetime]:  # noqa: N805 - pydantic validator signature
        if values["end"] <= values["start"]:
            raise ValueError("end muss nach start liegen")
        return values


class ClosureOut(BaseModel):
    id: int
    office_id: str
    start: datetime
    end: datetime
    reason: str
    affected_bookings: list[int] = Field(
        default_factory=list, description="Open bookings inside the closure: staff tell those citizens."
    )


class FeedOut(BaseModel):
    url: str = Field(..., description="Backend path of the office's iCalendar feed, with its token.")
