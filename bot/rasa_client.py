"""The only place that talks HTTP to Rasa (REST channel and HTTP API)."""
from __future__ import annotations

import logging
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Rasa at {url} unavailable: {reason}")
        self.url = url
        self.reason = reason


class RasaClient:
    def __init__(self, base_url: str, timeout_seconds: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_seconds, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        """One user message (or /intent payload) in, the bot's replies out."""
        try:
            response = await self._client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc

    async def status(self) -> dict[str, Any]:
        try:
            response = await self._client.get("/status", timeout=3)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc
