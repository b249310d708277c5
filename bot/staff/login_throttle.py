"""Per-client throttling of staff logins, checked before any password hashing.

`LoginThrottle` is the interface; `InProcessThrottle` keeps a sliding window of attempt times
per client address in memory (one gateway process). Behind several gateway processes a shared
store (Redis, the database) would implement the same interface.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from typing import Protocol


class LoginThrottle(Protocol):
    def allow(self, client: str, now: float) -> float | None:
        """Count one attempt of `client`: None when allowed, else the seconds until it may retry."""
        ...


class InProcessThrottle:
    """At most `max_attempts` attempts per client within `window` seconds (a true sliding window:
    each attempt stops counting `window` seconds after it was made). At most `max_clients`
    addresses are remembered; the least recently seen are forgotten first."""

    def __init__(self, max_attempts: int = 20, window: float = 300.0, max_clients: int = 10_000) -> None:
        if max_attempts < 1 or window <= 0 or max_clients < 1:
            raise ValueError("max_attempts, window and max_clients must be positive")
        self.max_attempts, self.window, self.max_clients = max_attempts, window, max_clients
        self._attempts: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, client: str, now: float) -> float | None:
        with self._lock:
            times = self._attempts.pop(client, None) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            self._attempts[client] = times  # most recently seen last
            while len(self._attempts) > self.max_clients:
                self._attempts.popitem(last=False)
            if len(times) >= self.max_attempts:
                return max(1.0, times[0] + self.window - now)
            times.append(now)
            return None
