"""Small helpers for tests that wait on other processes or threads."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.05, what: str = "") -> T:
    """Call `check` until it returns something truthy (returned) or stops raising AssertionError.

    Bounded: after `timeout` seconds an AssertionError says what was awaited, for how long and how
    often, and carries the last failure (the check's own AssertionError as __cause__, or its last
    falsy result in the message). Other exceptions are not swallowed: they end the wait at once.
    """
    description = what or getattr(check, "__name__", repr(check))
    deadline = time.monotonic() + timeout
    attempts = 0
    while True:
        attempts += 1
        failure: AssertionError | None = None
        try:
            result = check()
        except AssertionError as error:
            failure, last = error, f"{type(error).__name__}: {error}"
        else:
            if result:
                return result
            last = f"returned {result!r}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"{description}: still failing after {timeout:g} s and {attempts} attempts; last: {last}"
            ) from failure
        time.sleep(min(interval, remaining))
