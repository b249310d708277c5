"""The only place that talks HTTP to Rasa: its REST channel and its HTTP API.

`RasaClient` is asynchronous (the gateway); `RasaApi` is blocking (staff tools in worker
threads, the command line, the launcher's readiness check, benchmarks). Both build every Rasa
URL from the paths below; nothing else in the code base does.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)

REST_WEBHOOK = "/webhooks/rest/webhook"  # the REST channel: needs no token
STATUS = "/status"
PARSE = "/model/parse"
MODEL = "/model"


class RasaUnavailable(Exception):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"Rasa at {url} unavailable: {reason}")
        self.url = url
        self.reason = reason


def _message_body(sender: str, text: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata:
        body["metadata"] = metadata  # stored with the message in the tracker store
    return body


class RasaClient:
    """The gateway's asynchronous client."""

    def __init__(
        self,
        base_url: str,
        timeout_seconds: float,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Rasa's HTTP API takes its token only as a query parameter (the REST channel needs none).
        self._api_params = {"token": token} if token else {}
        self._client = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_seconds, transport=transport)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """One user message (or /intent payload) in, the bot's replies out."""
        try:
            response = await self._client.post(REST_WEBHOOK, json=_message_body(sender, text, metadata))
            response.raise_for_status()
            replies: list[dict[str, Any]] = response.json()
            return replies
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc

    async def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        """Append events to a conversation's tracker without running the bot (handoff messages)."""
        try:
            response = await self._client.post(
                f"/conversations/{quote(sender, safe=':')}/tracker/events",
                params={**self._api_params, "include_events": "NONE"},
                json=events,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc

    async def status(self) -> dict[str, Any]:
        try:
            response = await self._client.get(STATUS, params=self._api_params, timeout=3)
            response.raise_for_status()
            status: dict[str, Any] = response.json()
            return status
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc


class RasaApi:
    """Rasa's HTTP API, blocking."""

    def __init__(self, base_url: str, token: str | None, timeout_seconds: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._params = {"token": token} if token else {}
        self._timeout = timeout_seconds
        self._client: httpx.Client | None = None

    def __enter__(self) -> RasaApi:
        """Within `with`, calls share one connection pool (a new httpx client per call costs
        more than a parse, which matters when timing parses)."""
        self._client = httpx.Client()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _request(
        self,
        method: str,
        path: str,
        *,
        api: bool = True,
        timeout: float | None = None,
        json: dict[str, Any] | None = None,
    ) -> Any:
        try:
            response = (self._client or httpx).request(
                method,
                f"{self.base_url}{path}",
                params=self._params if api else None,
                json=json,
                timeout=timeout or self._timeout,
            )
            response.raise_for_status()
            return response.json()
        except httpx.HTTPStatusError as exc:
            raise RasaUnavailable(self.base_url, f"HTTP {exc.response.status_code}") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc

    def status(self, timeout: float = 5.0) -> dict[str, Any]:
        status: dict[str, Any] = self._request("GET", STATUS, timeout=timeout)
        return status

    def model_file(self) -> str | None:
        """The file name of the model Rasa answers with (Rasa reports no directory)."""
        return Path(self.status().get("model_file") or "").name or None

    def parse(self, text: str) -> dict[str, Any]:
        """Rasa's NLU result for `text` (intent, ranking, entities)."""
        result: dict[str, Any] = self._request("POST", PARSE, json={"text": text})
        return result

    def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation of `sender` as Rasa holds it (events, slots)."""
        tracker: dict[str, Any] = self._request("GET", f"/conversations/{quote(sender, safe=':')}/tracker")
        return tracker

    def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """One message over the REST channel, as a citizen would send it (metadata as the gateway sends it)."""
        replies: list[dict[str, Any]] = self._request(
            "POST", REST_WEBHOOK, api=False, json=_message_body(sender, text, metadata)
        )
        return replies

    def load_model(self, model_file: Path, timeout_seconds: float = 300.0) -> None:
        """Replace the running model (PUT /model). Rasa swaps the agent once the new model is
        loaded; until then it answers nothing, so callers must allow for a few seconds."""
        try:
            response = httpx.put(
                f"{self.base_url}{MODEL}",
                params=self._params,
                json={"model_file": str(model_file)},
                timeout=timeout_seconds,
            )
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise RasaUnavailable(self.base_url, f"HTTP {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise RasaUnavailable(self.base_url, type(exc).__name__) from exc
