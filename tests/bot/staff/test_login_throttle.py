"""The in-process login throttle: a sliding window per client address."""

from __future__ import annotations

import pytest

from bot.staff.login_throttle import InProcessThrottle


def test_allows_up_to_the_limit_then_tells_how_long_to_wait():
    throttle = InProcessThrottle(max_attempts=3, window=60)
    assert [throttle.allow("a", 100.0 + i) for i in range(3)] == [None, None, None]
    assert throttle.allow("a", 110.0) == pytest.approx(50.0)  # the first attempt ends its count at 160
    assert throttle.allow("b", 110.0) is None  # per client


def test_the_window_slides_attempt_by_attempt():
    throttle = InProcessThrottle(max_attempts=2, window=10)
    assert throttle.allow("a", 0.0) is None and throttle.allow("a", 5.0) is None
    assert throttle.allow("a", 9.0) is not None  # refused attempts are not counted
    assert throttle.allow("a", 10.5) is None  # the attempt at 0 no longer counts, the one at 5 does
    assert throttle.allow("a", 11.0) is not None


def test_memory_is_bounded_by_forgetting_the_least_recent_clients():
    throttle = InProcessThrottle(max_attempts=1, window=60, max_clients=2)
    for client in ("a", "b", "c"):
        assert throttle.allow(client, 0.0) is None
    assert throttle.allow("a", 1.0) is None  # forgotten
    assert throttle.allow("c", 1.0) is not None


def test_nonsense_limits_are_refused():
    with pytest.raises(ValueError):
        InProcessThrottle(max_attempts=0)
