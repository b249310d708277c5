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


def doubling_ratio(
    function: Callable[[str], object], unit: str, min_seconds: float = 0.02, max_chars: int = 400_000
) -> float:
    """CPU time of `function` on 2n copies of `unit` over its time on n copies, with n grown until
    a run takes `min_seconds`, the two sizes interleaved, best of seven each. Thread CPU time, so
    other processes on the (shared) machine do not count. Linear work gives ~2, quadratic 4."""

    def seconds(text: str) -> float:
        start = time.thread_time()
        function(text)
        return time.thread_time() - start

    copies = 1000
    while seconds(unit * copies) < min_seconds and len(unit) * copies * 4 <= max_chars:
        copies *= 2
    small, large = unit * copies, unit * (2 * copies)
    best_small = best_large = float("inf")
    for _ in range(7):
        best_small, best_large = min(best_small, seconds(small)), min(best_large, seconds(large))
    return best_large / best_small
