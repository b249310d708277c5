"""A fake Rasa REST channel for gateway tests: an `httpx.MockTransport` handed to `RasaClient`
(nothing listens on a port). It records what the gateway sent and answers with scripted replies;
`hold()` makes it slow (answers wait until `release()`), to fill the in-flight bound."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

Replies = list[dict[str, Any]]


def echo(sender: str, text: str) -> Replies:
    return [{"recipient_id": sender, "text": f"Echo: {text}"}]


@dataclass
class FakeRasa:
    reply: Callable[[str, str], Replies] = echo
    received: list[dict[str, Any]] = field(default_factory=list)
    appended: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # tracker events by sender
    _open: threading.Event = field(default_factory=threading.Event)
    _arrived: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def __post_init__(self) -> None:
        self._open.set()

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def hold(self) -> None:
        """From now on answers wait until `release()`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def wait_arrived(self, timeout: float = 5.0) -> bool:
        """Blocks until one more message has arrived (counted from the start)."""
        return self._arrived.acquire(timeout=timeout)

    def texts(self) -> list[str]:
        return [body["message"] for body in self.received]

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/conversations/") and path.endswith("/tracker/events"):
            sender = path.removeprefix("/conversations/").removesuffix("/tracker/events")
            self.appended.setdefault(sender, []).extend(json.loads(request.content))
            return httpx.Response(200, json={})
        if path != "/webhooks/rest/webhook":
            return httpx.Response(404)
        body = json.loads(request.content)
        self.received.append(body)
        self._arrived.release()
        if not self._open.is_set():
            await anyio.to_thread.run_sync(self._open.wait, abandon_on_cancel=True)
        return httpx.Response(200, json=self.reply(body["sender"], body["message"]))
