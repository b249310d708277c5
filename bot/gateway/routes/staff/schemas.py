"""Response models shared by the staff console's routes, and the documented error answers."""

from __future__ import annotations

from typing import Any

from fastapi import Path
from pydantic import BaseModel, Field

# Row ids are SQL BIGINTs: a larger number names no row, and SQLite's driver cannot even bind it
# (OverflowError, a 500), so such numbers are refused as invalid input.
MAX_ROW_ID = 2**63 - 1
INVALID_ROW_ID = f"muss eine Nummer zwischen 1 und {MAX_ROW_ID} sein"


def row_id_path(description: str) -> Any:
    """A path parameter naming a database row."""
    return Path(..., ge=1, le=MAX_ROW_ID, description=description)


def check_row_id(value: int) -> int:
    """A row id in a request body; raises ValueError (a 422) outside the range of row ids."""
    if not 1 <= value <= MAX_ROW_ID:
        raise ValueError(INVALID_ROW_ID)
    return value


class ErrorOut(BaseModel):
    """Every refusal: one German sentence for staff, and for domain errors a machine-readable code."""

    detail: str = Field(..., example="Bitte melden Sie sich an.")
    code: str | None = Field(None, description="Set for domain errors, e.g. promotion_refused.")


class OkOut(BaseModel):
    ok: bool = True


_TEXT = {
    401: "Nicht angemeldet.",
    403: "CSRF-Token fehlt oder ungültig, oder die Rolle reicht nicht.",
    404: "Nicht gefunden.",
    409: "Widerspricht dem aktuellen Zustand.",
    422: "Ungültige Eingabe.",
    429: "Zu viele Fehlversuche.",
    503: "Der Rasa-Server ist nicht erreichbar.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of a route's error answers (all of them `ErrorOut`)."""
    return {status: {"model": ErrorOut, "description": _TEXT[status]} for status in statuses}


READ = errors(401)  # a logged-in user's read
CHANGE = errors(401, 403, 422)  # a state change: session, CSRF token, body
