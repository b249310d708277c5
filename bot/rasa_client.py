"""The only place that talks HTTP to Rasa (REST channel and HTTP API)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Rasa at {url} unavailable: {reason}")
        self.url = url
        self.reason = reason


class RasaClient:
    def __init__(self, base_url: str, timeout_seconds: float, token: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_params = {"token": token} if token else {}
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_seconds, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """One user message (or /intent payload) in, the bot's replies out."""
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata  # stored with the message in the tracker store
        try:
            response = await self._client.post("/webhooks/rest/webhook", json=body)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc

    async def status(self) -> dict[str, Any]:
        try:
            response = await self._client.get("/status", params=self._api_params, timeout=3)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc


class RasaApi:
    """Rasa's HTTP API for the staff tools (blocking: they run in worker threads and the CLI)."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self._params = {"token": token} if token else {}

    def model_file(self) -> str | None:
        """The file name of the model Rasa answers with (Rasa reports no directory)."""
        try:
            response = httpx.get(f"{self.base_url}/status", params=self._params, timeout=5)
            response.raise_for_status()
            return Path(response.json().get("model_file") or "").name or None
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc

    def load_model(self, model_file: Path, timeout_seconds: float = 300.0) -> None:
        """Replace the running model (PUT /model). Rasa swaps the agent once the new model is
        loaded; until then it answers nothing, so callers must allow for a few seconds."""
        try:
            response = httpx.put(f"{self.base_url}/model", params=self._params, json={"model_file": str(model_file)},
                                 timeout=timeout_seconds)
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise RasaUnavailable(self.base_url, f"HTTP {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc
