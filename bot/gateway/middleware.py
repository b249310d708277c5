"""ASGI middleware of the public side: who the client is, and how big a request body may be."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Iterable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

BODY_TOO_LARGE = "Die Anfrage ist zu groß. Bitte senden Sie eine kürzere Nachricht."
UNKNOWN_CLIENT = "unknown"


def parse_networks(value: str) -> list[Network]:
    """ "10.0.0.1, 192.168.0.0/16, ::1" -> networks; raises ValueError naming a bad entry."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"not an IP address or network: {item!r}") from exc
    return networks


def _trusted(host: str, networks: Iterable[Network]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted: list[Network]) -> str:
    """The client's address: the socket peer, unless the peer is a trusted proxy; then the
    right-most `X-Forwarded-For` hop that is not itself a trusted proxy (everything left of it
    was written by the client and proves nothing)."""
    if not peer:
        return UNKNOWN_CLIENT
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    for hop in reversed(hops):
        if not hop:
            continue
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a hop a trusted proxy cannot have written: do not guess
        if not _trusted(hop, trusted):
            return hop
    return peer  # every hop is one of our proxies


def _header(scope: Scope, name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == name]
    return ",".join(values) if values else None


class ClientAddressMiddleware:
    """Sets `scope["client"]` to the real client address (see `client_address`) for HTTP and
    WebSocket requests, so every route and channel reads the same, unforgeable identity."""

    def __init__(self, app: ASGIApp, trusted_proxies: list[Network]) -> None:
        self.app = app
        self.trusted = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer = scope.get("client")
            host = client_address(peer[0] if peer else None, _header(scope, b"x-forwarded-for"), self.trusted)
            scope = {**scope, "client": (host, peer[1] if peer else 0)}
        await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit; an HTTPException, so FastAPI passes it
    on unchanged while reading a body and its exception handler answers 413."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=BODY_TOO_LARGE)


class BodyLimitMiddleware:
    """Refuses a request body over `max_bytes` with 413: at once when Content-Length says so, and
    while streaming otherwise (chunked bodies are counted as they arrive, nothing past the limit is read)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_large = int(declared.split(",")[0]) > self.max_bytes
            except ValueError:
                too_large = False  # the server rejects malformed lengths itself
            if too_large:
                await self._refuse(send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:  # raised where no exception handler answered it (e.g. inside a middleware)
            if started:
                raise
            await self._refuse(send)

    @staticmethod
    async def _refuse(send: Send) -> None:
        body = json.dumps({"detail": BODY_TOO_LARGE}).encode()
        headers: list[Any] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
