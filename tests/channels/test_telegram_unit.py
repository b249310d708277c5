import pytest
from telegram.error import NetworkError, RetryAfter

from channels.telegram import CallbackPayloads, split_text, with_retry

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def test_split_text_respects_the_limit_and_prefers_line_breaks():
    text = ("Absatz eins. " * 300) + "\n\n" + ("Absatz zwei. " * 300)
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts) and len(parts) >= 2
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert split_text("kurz") == ["kurz"]


def test_long_callback_payloads_get_a_short_key():
    payloads = CallbackPayloads()
    short = '/ask_fees{"service": "reisepass"}'
    long = '/ask_fees{"service": "parkausweis_schwerbehinderte", "office": "ordnungsamt"}'
    assert payloads.encode(short) == short
    key = payloads.encode(long)
    assert len(key.encode()) <= 64 and payloads.decode(key) == long
    assert payloads.decode("k:unknown") is None


async def test_retry_after_and_network_errors_are_retried():
    attempts, slept = [], []

    async def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise RetryAfter(3)
        if len(attempts) == 2:
            raise NetworkError("connection reset")
        return "sent"

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    assert await with_retry(flaky, sleep=fake_sleep) == "sent"
    assert slept == [3.0, 0.5]


async def test_gives_up_after_four_attempts():
    async def always_down():
        raise NetworkError("down")

    async def no_sleep(_seconds: float) -> None:
        return None

    with pytest.raises(NetworkError):
        await with_retry(always_down, sleep=no_sleep)
