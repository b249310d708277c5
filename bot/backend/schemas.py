"""Pydantic (v1) payloads of the backend HTTP API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, validator

from bot.core.case_number import normalize_case_number


class OfficeRef(BaseModel):
    id: str
    name: str


class ServiceOut(BaseModel):
    id: str
    name: str
    description: str
    documents: list[str]
    fees: str
    processing_time: str
    office: OfficeRef
    appointment_required: bool
    online_url: str | None
    keywords: list[str]


class ServiceMatchOut(BaseModel):
    id: str
    name: str
    score: float


class HolidayOut(BaseModel):
    date: date
    name: str = Field(description='German name of the public holiday, e.g. "Erster Mai".')


class OfficeOut(BaseModel):
    id: str
    name: str
    street: str
    postal_code: str
    city: str
    phone: str
    email: str
    opening_hours: dict[str, list[str]]
    opening_hours_text: list[str] = Field(description="One German line per weekday.")
    open_now: bool
    changes_at: datetime | None = Field(description="Closing time when open, next opening when closed (Europe/Berlin).")
    as_of: datetime = Field(description="The moment open_now and changes_at refer to (the backend's clock).")
    closed_today: HolidayOut | None = Field(description="Today's public holiday: every office is closed all day.")
    holidays_this_week: list[HolidayOut] = Field(
        description="Public holidays (closed days) of the current week, Monday to Sunday, including today's."
    )
    accessibility: str
    transport: str


class CaseCheckIn(BaseModel):
    case_number: str = Field(..., max_length=40, example="BA-2025-004711")
    access_code: str = Field(..., min_length=1, max_length=40, example="K7M2Q9")

    @validator("case_number")
    def _normalize(cls, value: str) -> str:  # noqa: N805 - pydantic validator signature
        normalized = normalize_case_number(value)
        if normalized is None:
            raise ValueError("Aktenzeichen im Format BA-2025-004711 erwartet")
        return normalized


class CaseEventOut(BaseModel):
    date: date
    status: str
    status_label: str
    note: str


class CaseStatusOut(BaseModel):
    case_number: str
    service: str
    status: str
    status_label: str
    next_step: str
    history: list[CaseEventOut]


class ErrorOut(BaseModel):
    detail: str
