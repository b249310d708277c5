"""The action server's one dependency: the service backend, behind the `BackendApi` protocol.

`BackendClient` speaks HTTP to the real backend; actions receive any `BackendApi` (tests pass an
in-memory fake), see `actions.backend_action.WithBackend`."""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol, TypedDict, cast
from urllib.parse import quote

import httpx

from actions.settings import ActionSettings, get_settings

logger = logging.getLogger(__name__)


class BackendError(Exception):
    """Base class of client errors."""


class BackendUnavailable(BackendError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"backend at {url} unavailable: {reason}")
        self.url = url
        self.reason = reason


class NotFoundInBackend(BackendError):
    def __init__(self, path: str) -> None:
        super().__init__(f"{path} not found")
        self.path = path


class InvalidId(NotFoundInBackend):
    """An id (from an entity value, i.e. citizen input) that no service or office can have: refused
    before any request, answered like an unknown id."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"/api/{kind}/<invalid id>")  # the value itself is input: not repeated


# Service and office ids of the catalogue: lower-case words joined by underscores.
ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,63}")


def id_path(kind: str, value: str) -> str:
    """`/api/{kind}/{value}` for a valid id, every segment quoted; `InvalidId` otherwise."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise InvalidId(kind)
    return f"/api/{quote(kind, safe='')}/{quote(value, safe='')}"


class CaseNotVerified(BackendError):
    def __init__(self, attempts_left: int | None) -> None:
        super().__init__(f"case not verified ({attempts_left} attempts left)")
        self.attempts_left = attempts_left


class CaseLocked(BackendError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"case number locked for {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class AppointmentRefused(BackendError):
    """The appointment API said no (HTTP 403/409/422/423/429): `code` is its machine-readable reason
    (slot_taken, booking_not_verified, booking_locked, ...), `detail` its German text."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.code = str(body.get("code") or "appointment_error")
        self.detail = str(body.get("detail") or "")
        self.next_slots: list[dict[str, Any]] = list(body.get("next_slots") or [])
        self.attempts_left: int | None = body.get("attempts_left")
        self.retry_after_seconds: int | None = body.get("retry_after_seconds")
        self.online_url: str | None = body.get("online_url")
        super().__init__(f"appointment refused: HTTP {status} {self.code}")


# Filters of GET /api/appointments/slots: `from`/`to` ISO days, `after`/`before` "HH:MM" (Europe/Berlin),
# `weekdays` "0,1,2" (0 = Monday), `office`, `limit`.
SlotQuery = TypedDict(
    "SlotQuery",
    {"office": str, "from": str, "to": str, "after": str, "before": str, "weekdays": str, "limit": int},
    total=False,
)


class BackendApi(Protocol):
    """What the actions may ask the backend. Errors: the exceptions above (`BackendUnavailable`,
    `NotFoundInBackend`, `CaseNotVerified`, `CaseLocked`). Payloads are the backend's JSON objects."""

    async def get_service(self, service_id: str) -> dict[str, Any]: ...

    async def search_services(self, text: str, limit: int = 3) -> list[dict[str, Any]]: ...

    async def get_office(self, office_id: str) -> dict[str, Any]: ...

    async def list_offices(self) -> list[dict[str, Any]]: ...

    async def check_case(self, case_number: str, access_code: str) -> dict[str, Any]: ...

    # Appointments (docs/appointments.md); refusals raise `AppointmentRefused`.
    async def find_slots(self, service_id: str, query: SlotQuery) -> dict[str, Any]: ...

    async def place_hold(self, service_id: str, office_id: str, start: str, client_key: str) -> dict[str, Any]: ...

    async def confirm_hold(self, hold_id: str, name: str, email: str, idempotency_key: str) -> dict[str, Any]: ...

    async def find_booking(self, code: str, email: str) -> dict[str, Any]: ...

    async def cancel_booking(self, code: str, email: str) -> dict[str, Any]: ...

    async def move_booking(self, code: str, email: str, hold_id: str) -> dict[str, Any]: ...


_REFUSALS = (403, 409, 422, 423, 429)


class BackendClient:
    """`BackendApi` over HTTP, with the timeout from the settings."""

    def __init__(
        self, settings: ActionSettings | None = None, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._settings = settings or get_settings()
        self._transport = transport

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self._settings.backend_url.rstrip("/") + path
        try:
            async with httpx.AsyncClient(
                timeout=self._settings.backend_timeout_seconds, transport=self._transport
            ) as client:
                response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(self._settings.backend_url, type(exc).__name__) from exc
        if response.status_code == 404:
            raise NotFoundInBackend(path)
        if response.status_code >= 500:
            raise BackendUnavailable(self._settings.backend_url, f"HTTP {response.status_code}")
        return response

    async def _get(self, path: str) -> Any:
        return (await self._request("GET", path)).json()

    async def get_service(self, service_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], await self._get(id_path("services", service_id)))

    async def search_services(self, text: str, limit: int = 3) -> list[dict[str, Any]]:
        response = await self._request("GET", "/api/services/search", params={"q": text[:2000], "limit": limit})
        return cast(list[dict[str, Any]], response.json()) if response.status_code == 200 else []

    async def get_office(self, office_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], await self._get(id_path("offices", office_id)))

    async def list_offices(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], await self._get("/api/offices"))

    async def check_case(self, case_number: str, access_code: str) -> dict[str, Any]:
        """Case status when the code matches. The code travels in the body, never in a URL."""
        response = await self._request(
            "POST", "/api/cases/check", json={"case_number": case_number, "access_code": access_code}
        )
        if response.status_code == 200:
            return cast(dict[str, Any], response.json())
        body = response.json()
        if response.status_code == 423:
            raise CaseLocked(int(body.get("retry_after_seconds", 900)))
        if response.status_code in (403, 422):
            raise CaseNotVerified(body.get("attempts_left"))
        raise BackendUnavailable(self._settings.backend_url, f"HTTP {response.status_code}")

    async def _appointment(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self._request(method, "/api/appointments" + path, **kwargs)
        if response.status_code in (200, 201):
            return cast(dict[str, Any], response.json())
        if response.status_code in _REFUSALS:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise AppointmentRefused(response.status_code, body if isinstance(body, dict) else {})
        raise BackendUnavailable(self._settings.backend_url, f"HTTP {response.status_code}")

    async def find_slots(self, service_id: str, query: SlotQuery) -> dict[str, Any]:
        params: dict[str, Any] = {"service": service_id, **query}
        return await self._appointment("GET", "/slots", params=params)

    async def place_hold(self, service_id: str, office_id: str, start: str, client_key: str) -> dict[str, Any]:
        body = {"service": service_id, "office": office_id, "start": start, "client_key": client_key}
        return await self._appointment("POST", "/holds", json=body)

    async def confirm_hold(self, hold_id: str, name: str, email: str, idempotency_key: str) -> dict[str, Any]:
        return await self._appointment(
            "POST",
            f"/holds/{quote(hold_id, safe='')}/confirm",
            json={"name": name, "email": email},
            headers={"Idempotency-Key": idempotency_key},
        )

    async def find_booking(self, code: str, email: str) -> dict[str, Any]:
        """The booking of code and e-mail; both travel in the body, never in a URL."""
        return await self._appointment("POST", "/find", json={"code": code, "email": email})

    async def cancel_booking(self, code: str, email: str) -> dict[str, Any]:
        return await self._appointment("POST", "/cancel", json={"code": code, "email": email})

    async def move_booking(self, code: str, email: str, hold_id: str) -> dict[str, Any]:
        return await self._appointment("POST", "/move", json={"code": code, "email": email, "hold_id": hold_id})


def get_backend_client() -> BackendApi:
    """The production client: HTTP to `BUERGERBOT_BACKEND_URL`, settings read now."""
    return BackendClient()
