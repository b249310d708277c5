"""Every limit the public side enforces, behind one interface.

The keys are identities a caller cannot choose: the client address (see `middleware.client_address`),
an API key's hash, or a sender the channel vouches for (Telegram). `MemoryLimits` keeps the counters
in this process; a shared store (Redis) can implement the same `Limits` protocol for several
gateway processes."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .rate_limit import RateLimiter


def client_key(client: str) -> str:
    """The key an address is counted under: an IPv6 address by its /64 network (one subscriber
    usually holds a whole /64), anything else as it is."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return client


@dataclass(frozen=True)
class LimitConfig:
    messages_per_minute: int = 20  # per client address (or Telegram chat)
    api_messages_per_minute: int = 600  # per API key
    sessions_per_minute: int = 10  # new web-chat conversations per client address
    connections_per_client: int = 5  # open WebSockets per client address
    max_connections: int = 500  # open WebSockets of the whole gateway
    max_rasa_in_flight: int = 32  # Rasa calls waiting for an answer; beyond that: "busy" at once
    window_seconds: float = 60.0


class Limits(Protocol):
    async def allow_message(self, client: str) -> bool:
        """Counts one message of `client` (an address, "telegram:…" or "api-key:…"); False when over the limit."""

    async def allow_new_session(self, client: str) -> bool:
        """Counts one new web-chat session of `client`; False when over the limit."""

    async def open_connection(self, client: str) -> bool:
        """Takes a connection slot of `client`; False (and nothing taken) when it or the gateway is full."""

    async def close_connection(self, client: str) -> None:
        """Gives back a slot taken by `open_connection`."""

    async def begin_rasa_call(self) -> bool:
        """Takes an in-flight slot for one Rasa call; False at once (never waits) when all are taken."""

    async def end_rasa_call(self) -> None:
        """Gives back a slot taken by `begin_rasa_call`."""


class MemoryLimits:
    """`Limits` for one gateway process (counters in memory)."""

    def __init__(self, config: LimitConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._messages = RateLimiter(config.messages_per_minute, config.window_seconds)
        self._api_messages = RateLimiter(config.api_messages_per_minute, config.window_seconds)
        self._sessions = RateLimiter(config.sessions_per_minute, config.window_seconds)
        self._connections: dict[str, int] = {}
        self._open = 0
        self._in_flight = 0

    async def allow_message(self, client: str) -> bool:
        limiter = self._api_messages if client.startswith("api-key:") else self._messages
        return limiter.allow(client_key(client), now=self._clock())

    async def allow_new_session(self, client: str) -> bool:
        return self._sessions.allow(client_key(client), now=self._clock())

    async def open_connection(self, client: str) -> bool:
        client = client_key(client)
        held = self._connections.get(client, 0)
        if held >= self.config.connections_per_client or self._open >= self.config.max_connections:
            return False
        self._connections[client] = held + 1
        self._open += 1
        return True

    async def close_connection(self, client: str) -> None:
        client = client_key(client)
        held = self._connections.get(client, 0)
        if held <= 0:
            return
        if held == 1:
            del self._connections[client]
        else:
            self._connections[client] = held - 1
        self._open -= 1

    async def begin_rasa_call(self) -> bool:
        if self._in_flight >= self.config.max_rasa_in_flight:
            return False
        self._in_flight += 1
        return True

    async def end_rasa_call(self) -> None:
        self._in_flight = max(0, self._in_flight - 1)

    @property
    def rasa_in_flight(self) -> int:
        return self._in_flight

    @property
    def open_connections(self) -> int:
        return self._open
