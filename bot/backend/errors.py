"""Domain errors of the backend. They carry context and are mapped to HTTP in one place (backend/app.py)."""

from __future__ import annotations

from datetime import datetime


class BuergerbotError(Exception):
    """Base class of all domain errors."""


class NotFound(BuergerbotError):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class ServiceNotFound(NotFound):
    def __init__(self, service_id: str) -> None:
        super().__init__("service", service_id)


class OfficeNotFound(NotFound):
    def __init__(self, office_id: str) -> None:
        super().__init__("office", office_id)


class CaseNotVerified(BuergerbotError):
    """Unknown case number or wrong access code: deliberately indistinguishable."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"case not verified, {attempts_left} attempts left")
        self.attempts_left = attempts_left


class CaseLocked(BuergerbotError):
    def __init__(self, case_number: str, until: datetime) -> None:
        super().__init__(f"case number {case_number} locked until {until.isoformat()}")
        self.case_number = case_number
        self.until = until


class SeedDataError(BuergerbotError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


# --- appointments (bot/backend/appointments/, mapped to HTTP in backend/app.py) ---


class AppointmentError(BuergerbotError):
    """A booking step that cannot be done; `code` is the machine-readable reason in the HTTP answer."""

    code = "appointment_error"


class NoAppointmentNeeded(AppointmentError):
    code = "no_appointment_needed"

    def __init__(self, service_id: str, online_url: str | None) -> None:
        super().__init__(f"service {service_id!r} takes no appointments")
        self.service_id = service_id
        self.online_url = online_url


class OfficeDoesNotOffer(AppointmentError):
    code = "office_not_for_service"

    def __init__(self, service_id: str, office_id: str) -> None:
        super().__init__(f"office {office_id!r} has no appointments for service {service_id!r}")
        self.service_id = service_id
        self.office_id = office_id


class SlotUnavailable(AppointmentError):
    """The slot is taken, closed, past or not one the office offers; `next_slots` are the nearest free
    ones after it (core Slot objects, serialised at the edge)."""

    code = "slot_taken"

    def __init__(
        self, office_id: str, start: datetime, next_slots: list[object], office_names: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"slot {start.isoformat()} at office {office_id!r} is not available")
        self.office_id = office_id
        self.start = start
        self.next_slots = next_slots
        self.office_names = office_names or {}


class HoldNotFound(AppointmentError):
    code = "hold_not_found"

    def __init__(self, hold_id: str) -> None:
        super().__init__(f"hold {hold_id[:8]}… not found")
        self.hold_id = hold_id


class HoldAlreadyUsed(AppointmentError):
    code = "hold_already_used"

    def __init__(self, hold_id: str) -> None:
        super().__init__(f"hold {hold_id[:8]}… was already confirmed or used for a move")
        self.hold_id = hold_id


class OpenBookingExists(AppointmentError):
    code = "open_booking_exists"

    def __init__(self, service_id: str) -> None:
        super().__init__(f"an open booking for service {service_id!r} exists for this e-mail address")
        self.service_id = service_id


class IdempotencyKeyReused(AppointmentError):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__("idempotency key already used for another hold")


class TooManyHolds(AppointmentError):
    code = "too_many_holds"

    def __init__(self, until: datetime, now: datetime) -> None:
        super().__init__(f"hold limit of the client reached until {until.isoformat()}")
        self.until = until
        self.retry_after_seconds = max(1, int((until - now).total_seconds()))


class BookingNotVerified(AppointmentError):
    """Unknown e-mail address or wrong booking code: deliberately indistinguishable."""

    code = "booking_not_verified"

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"booking not verified, {attempts_left} attempts left")
        self.attempts_left = attempts_left


class BookingLocked(AppointmentError):
    code = "booking_locked"

    def __init__(self, until: datetime, now: datetime) -> None:
        super().__init__(f"booking look-ups locked until {until.isoformat()}")
        self.until = until
        self.retry_after_seconds = max(1, int((until - now).total_seconds()))


class BookingNotChangeable(AppointmentError):
    code = "booking_not_changeable"

    def __init__(self, booking_id: int, reason: str) -> None:
        super().__init__(f"booking {booking_id}: {reason}")
        self.booking_id = booking_id
        self.reason = reason  # "cancelled", "past", "future" (no-show before the appointment)


class WrongService(AppointmentError):
    code = "hold_for_other_service"

    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"hold is for service {got!r}, the booking for {expected!r}")
        self.expected = expected
        self.got = got


class InvalidLinkToken(AppointmentError):
    code = "invalid_token"

    def __init__(self, what: str) -> None:
        super().__init__(f"invalid or missing token for {what}")
        self.what = what


class BookingNotFound(NotFound):
    def __init__(self, booking_id: int) -> None:
        super().__init__("booking", str(booking_id))


class ClosureNotFound(NotFound):
    def __init__(self, closure_id: int) -> None:
        super().__init__("closure", str(closure_id))
