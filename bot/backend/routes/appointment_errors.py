"""How appointment errors answer over HTTP: status, German text for the citizen, machine-readable
code and context (the next free slots, attempts left, when to retry). Registered in backend/app.py."""

from __future__ import annotations

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from bot.backend.errors import (
    AppointmentError,
    BookingLocked,
    BookingNotChangeable,
    BookingNotVerified,
    HoldAlreadyUsed,
    HoldNotFound,
    IdempotencyKeyReused,
    InvalidLinkToken,
    NoAppointmentNeeded,
    OfficeDoesNotOffer,
    OpenBookingExists,
    SlotUnavailable,
    TooManyHolds,
    WrongService,
)
from bot.backend.schemas import OfficeRef
from bot.core.appointment_slots import Slot
from bot.core.appointment_time import format_slot

SLOT_TAKEN = "Dieser Termin ist leider nicht mehr frei. Bitte wählen Sie einen der nächsten freien Termine."
SLOT_TAKEN_NONE_LEFT = "Dieser Termin ist leider nicht mehr frei, und danach ist dort kein Termin mehr frei."
_CHANGE = {
    "cancelled": "Dieser Termin ist bereits abgesagt.",
    "past": "Dieser Termin liegt in der Vergangenheit und kann nicht mehr geändert werden.",
    "future": "Der Termin hat noch nicht begonnen.",
}
_WAIT = {
    429: "Zu viele Reservierungen in kurzer Zeit. Bitte versuchen Sie es in einigen Minuten erneut.",
    423: "Zu viele Fehlversuche. Die Abfrage ist vorübergehend gesperrt.",
}
_TEXTS: dict[type[AppointmentError], tuple[int, str]] = {
    OfficeDoesNotOffer: (422, "Diese Dienststelle vergibt für diese Leistung keine Termine."),
    HoldNotFound: (404, "Diese Reservierung gibt es nicht mehr. Bitte wählen Sie den Termin neu."),
    HoldAlreadyUsed: (409, "Diese Reservierung wurde bereits verwendet."),
    OpenBookingExists: (
        409,
        "Sie haben für diese Leistung schon einen offenen Termin. "
        "Bitte sagen Sie ihn zuerst ab oder verschieben Sie ihn.",
    ),
    IdempotencyKeyReused: (422, "Dieser Idempotency-Key wurde schon für eine andere Reservierung verwendet."),
    BookingNotVerified: (403, "Buchungscode oder E-Mail-Adresse stimmen nicht."),
    WrongService: (422, "Die Reservierung gilt für eine andere Leistung als Ihr Termin."),
    InvalidLinkToken: (403, "Der Link ist ungültig. Bitte nutzen Sie den Link aus Ihrer E-Mail."),
}


def _slots(slots: list[object], names: dict[str, str]) -> list[dict[str, object]]:
    return [
        {
            "office": OfficeRef(id=slot.office_id, name=names.get(slot.office_id, slot.office_id)).dict(),
            "start": slot.start,
            "end": slot.end,
            "label": format_slot(slot.start),
            "free_counters": len(slot.free_counters),
        }
        for slot in slots
        if isinstance(slot, Slot)
    ]


def appointment_error_response(exc: AppointmentError) -> JSONResponse:
    content: dict[str, object] = {"code": exc.code}
    headers: dict[str, str] = {}
    status = 409
    if isinstance(exc, SlotUnavailable):
        content |= {
            "detail": SLOT_TAKEN if exc.next_slots else SLOT_TAKEN_NONE_LEFT,
            "next_slots": _slots(exc.next_slots, exc.office_names),
        }
    elif isinstance(exc, NoAppointmentNeeded):
        detail = "Für diese Leistung brauchen Sie keinen Termin."
        if exc.online_url:
            detail += f" Sie können sie online erledigen: {exc.online_url}"
        status, content = 422, content | {"detail": detail, "online_url": exc.online_url}
    elif isinstance(exc, TooManyHolds | BookingLocked):
        status = 429 if isinstance(exc, TooManyHolds) else 423
        headers["Retry-After"] = str(exc.retry_after_seconds)
        content |= {"detail": _WAIT[status], "retry_after_seconds": exc.retry_after_seconds}
    elif isinstance(exc, BookingNotChangeable):
        content |= {"detail": _CHANGE.get(exc.reason, _CHANGE["past"])}
    else:
        status, text = _TEXTS.get(type(exc), (409, "Das ist leider nicht möglich."))
        content |= {"detail": text}
        if isinstance(exc, BookingNotVerified):
            content["attempts_left"] = exc.attempts_left
    return JSONResponse(status_code=status, content=jsonable_encoder(content), headers=headers)
