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
