"""Pydantic (v1) payloads of the backend HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, validator

from bot.core.case_number import normalize_case_number


class OfficeRef(BaseModel):
    id: str
    name: str


class FormOut(BaseModel):
    title: str
    url: str


class ServiceOut(BaseModel):
    """A service of the catalogue (fields as in docs/catalogue.md). The first ten fields are the
    original payload the action server reads; the others were added after them, never renamed."""

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
    leika: str | None = Field(None, description="14-digit LeiKa key (demo keys in the Musterstadt data).")
    appointment: Literal["required", "recommended", "none"] = "none"
    synonyms: list[str] = Field(default_factory=list, description="Names citizens use, e.g. Perso.")
    life_events: list[str] = Field(default_factory=list, description="Ids of life events leading here.")
    prerequisites: list[str] = Field(default_factory=list)
    deadlines: str = ""
    forms: list[FormOut] = Field(default_factory=list)
    legal_basis: list[str] = Field(default_factory=list)
    demo: bool = Field(True, description="Demo data written for Musterstadt, not an official source.")


class LifeEventOut(BaseModel):
    id: str
    name: str
    phrases: list[str]
    services: list[str] = Field(..., description="Service ids, most common first.")


class CatalogueReloadOut(BaseModel):
    offices: int
    services: int
    life_events: int
    added: list[str] = Field(..., description="Ids of services that are new.")
    removed: list[str] = Field(..., description="Ids of services that are gone.")


class CatalogueProblemsOut(BaseModel):
    detail: str
    problems: list[str] = Field(..., description="Every problem, German, naming file and record.")


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
