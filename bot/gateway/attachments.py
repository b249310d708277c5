"""Files the bot's answers ask to be sent along (issue 14: a booking's .ics as a Telegram document).

The action server marks them (`custom: {"attachment": {"path", "filename", "mime"}}`); the gateway
fetches the file from the backend and attaches it to the answer's last message. Only a booking's
token-protected .ics path is fetched, never an arbitrary URL; a failed fetch leaves the answer
without the file (its text still links it)."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from channels.base import Attachment

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
MAX_BYTES = 1_000_000
# A booking's .ics on the backend: /api/appointments/bookings/<id>.ics?token=<signed token>
ALLOWED_PATH = re.compile(r"/api/appointments/bookings/\d+\.ics\?token=[A-Za-z0-9._~%-]+")
_SAFE_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def attachment_marker(replies: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Rasa's marker that a file should be sent (`custom: {"attachment": {...}}`)."""
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("attachment"), dict):
            marker: dict[str, Any] = custom["attachment"]
            return marker
    return None


def allowed_path(path: object) -> bool:
    return isinstance(path, str) and ALLOWED_PATH.fullmatch(path) is not None


class BackendFiles:
    """The gateway's small asynchronous client for files of the appointments backend."""

    def __init__(
        self, base_url: str, timeout_seconds: float = TIMEOUT_SECONDS, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_seconds, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, marker: dict[str, Any]) -> Attachment | None:
        """The marked file, or None (path not allowed, backend down or refusing: logged)."""
        path = marker.get("path")
        if not allowed_path(path):
            logger.warning("attachment path not allowed; not fetched")
            return None
        assert isinstance(path, str)
        filename = marker.get("filename")
        if not isinstance(filename, str) or not _SAFE_FILENAME.fullmatch(filename):
            filename = "termin.ics"
        try:
            response = await self._client.get(path)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            logger.warning("attachment not fetched from the backend: %s", type(exc).__name__)
            return None
        if len(response.content) > MAX_BYTES:
            logger.warning("attachment of %d bytes too large; not sent", len(response.content))
            return None
        return Attachment(filename, "text/calendar", response.content)
