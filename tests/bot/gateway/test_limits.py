import pytest

from bot.gateway.limits import LimitConfig, MemoryLimits, client_key

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_messages_are_counted_per_client_in_a_sliding_minute():
    clock = Clock()
    limits = MemoryLimits(LimitConfig(messages_per_minute=2), clock=clock)
    assert [await limits.allow_message("192.0.2.1") for _ in range(3)] == [True, True, False]
    assert await limits.allow_message("192.0.2.2")
    clock.now = 60.5
    assert await limits.allow_message("192.0.2.1")


async def test_api_keys_have_their_own_budget():
    limits = MemoryLimits(LimitConfig(messages_per_minute=1, api_messages_per_minute=3))
    assert [await limits.allow_message("api-key:ab") for _ in range(4)] == [True, True, True, False]


async def test_new_sessions_are_counted_per_client():
    limits = MemoryLimits(LimitConfig(sessions_per_minute=2))
    assert [await limits.allow_new_session("192.0.2.1") for _ in range(3)] == [True, True, False]


async def test_ipv6_clients_count_per_64_network():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("192.0.2.1") == "192.0.2.1" and client_key("telegram:5") == "telegram:5"
    limits = MemoryLimits(LimitConfig(messages_per_minute=1))
    assert await limits.allow_message("2001:db8::1")
    assert not await limits.allow_message("2001:db8::ffff")


async def test_connections_are_bounded_per_client_and_overall_and_given_back():
    limits = MemoryLimits(LimitConfig(connections_per_client=2, max_connections=3))
    assert [await limits.open_connection("a") for _ in range(3)] == [True, True, False]
    assert await limits.open_connection("b")
    assert not await limits.open_connection("c")  # the gateway is full
    await limits.close_connection("a")
    assert await limits.open_connection("c")
    await limits.close_connection("nobody")  # giving back what was never taken changes nothing
    assert limits.open_connections == 3


async def test_rasa_calls_are_bounded_without_waiting():
    limits = MemoryLimits(LimitConfig(max_rasa_in_flight=2))
    assert [await limits.begin_rasa_call() for _ in range(3)] == [True, True, False]
    await limits.end_rasa_call()
    assert await limits.begin_rasa_call() and limits.rasa_in_flight == 2
