"""The one HTTP client of the action server: the service backend."""

from __future__ import annotations

import logging
from typing import Any

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


class CaseNotVerified(BackendError):
    def __init__(self, attempts_left: int | None) -> None:
        super().__init__(f"case not verified ({attempts_left} attempts left)")
        self.attempts_left = attempts_left


class CaseLocked(BackendError):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"case number locked for {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class BackendClient:
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

    async def get_service(self, service_id: str) -> dict[str, Any]:
        return (await self._request("GET", f"/api/services/{service_id}")).json()

    async def search_services(self, text: str, limit: int = 3) -> list[dict[str, Any]]:
        response = await self._request("GET", "/api/services/search", params={"q": text[:2000], "limit": limit})
        return response.json() if response.status_code == 200 else []

    async def list_services(self) -> list[dict[str, Any]]:
        return (await self._request("GET", "/api/services")).json()

    async def get_office(self, office_id: str) -> dict[str, Any]:
        return (await self._request("GET", f"/api/offices/{office_id}")).json()

    async def list_offices(self) -> list[dict[str, Any]]:
        return (await self._request("GET", "/api/offices")).json()

    async def check_case(self, case_number: str, access_code: str) -> dict[str, Any]:
        """Case status when the code matches. The code travels in the body, never in a URL."""
        response = await self._request(
            "POST", "/api/cases/check", json={"case_number": case_number, "access_code": access_code}
        )
        if response.status_code == 200:
            return response.json()
        body = response.json()
        if response.status_code == 423:
            raise CaseLocked(int(body.get("retry_after_seconds", 900)))
        if response.status_code in (403, 422):
            raise CaseNotVerified(body.get("attempts_left"))
        raise BackendUnavailable(self._settings.backend_url, f"HTTP {response.status_code}")


def get_backend_client() -> BackendClient:
    return BackendClient()
