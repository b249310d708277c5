"""Staff-side domain errors; the console maps them to HTTP statuses and German text in one place."""

from __future__ import annotations


class StaffError(Exception):
    """Base class: `text` is shown to staff (German), `status` is the HTTP status."""

    status = 400
    code = "error"  # machine-readable, for the console

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class LoginFailed(StaffError):
    status = 401

    def __init__(self) -> None:
        super().__init__("Anmeldung fehlgeschlagen: Name oder Passwort ist falsch.")


class AccountLocked(StaffError):
    status = 429

    def __init__(self, name: str, minutes: int) -> None:
        super().__init__(f"Zu viele Fehlversuche. Bitte versuchen Sie es in {minutes} Minuten erneut.")
        self.name = name


class Forbidden(StaffError):
    status = 403

    def __init__(self, name: str, action: str) -> None:
        super().__init__(f"Für „{action}“ fehlt Ihnen die Berechtigung (nur Administration).")
        self.name = name


class NotAnAgent(StaffError):
    status = 403

    def __init__(self, name: str) -> None:
        super().__init__("Für den Live-Chat fehlt Ihnen die Berechtigung (Rolle „agent“ oder Administration).")
        self.name = name


class NotFound(StaffError):
    status = 404

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} wurde nicht gefunden.")
        self.key = key


class InvalidInput(StaffError):
    status = 422


class Conflict(StaffError):
    status = 409


class PromotionRefused(Conflict):
    code = "promotion_refused"  # an admin may override with a reason

    def __init__(self, candidate: str, live_accuracy: float, candidate_accuracy: float, limit: float) -> None:
        super().__init__(
            f"Übernahme abgelehnt: Die Trefferquote auf dem Testdatensatz fällt von {live_accuracy:.1%} auf "
            f"{candidate_accuracy:.1%} (erlaubt sind höchstens {limit * 100:.0f} Prozentpunkte). Eine Administratorin "
            "oder ein Administrator kann mit schriftlicher Begründung trotzdem übernehmen."
        )
        self.candidate = candidate
        self.live_accuracy = live_accuracy
        self.candidate_accuracy = candidate_accuracy


class RasaUnreachable(StaffError):
    status = 503
