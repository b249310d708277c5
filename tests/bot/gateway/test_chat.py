import pytest

from bot.gateway.chat import ChatService, EmptyMessage, MessageTooLong
from bot.gateway.rate_limit import RateLimiter
from bot.infra.rasa_client import RasaClient
from channels.base import IncomingMessage
from channels.webchat.sessions import SessionSigner, sender_for_web


@pytest.fixture
def service() -> ChatService:
    return ChatService(RasaClient("http://127.0.0.1:9", 1), max_chars=2000, per_minute=20)


def test_control_characters_are_stripped_but_newlines_kept(service):
    assert service.clean(IncomingMessage("web:x", text="Hallo\x00 Welt\x1b\nZeile 2")) == "Hallo Welt\nZeile 2"


def test_limit_counts_cleaned_text(service):
    assert service.clean(IncomingMessage("web:x", text="a" * 2000 + "\x00" * 10)) == "a" * 2000
    with pytest.raises(MessageTooLong):
        service.clean(IncomingMessage("web:x", text="a" * 2001))
    with pytest.raises(EmptyMessage):
        service.clean(IncomingMessage("web:x", text="   "))


def test_button_payloads_go_to_rasa_as_they_are(service):
    message = IncomingMessage("web:x", text="Kosten", payload='/ask_fees{"service": "reisepass"}')
    assert service.clean(message) == '/ask_fees{"service": "reisepass"}'


def test_rate_limiter_slides():
    limiter = RateLimiter(2, window_seconds=60)
    assert [limiter.allow("a", now=t) for t in (0, 1, 2)] == [True, True, False]
    assert limiter.allow("a", now=61) is True


def test_sessions_are_signed_and_unguessable():
    signer = SessionSigner("k")
    session = signer.new()
    assert signer.verify(session) and not SessionSigner("other").verify(session)
    assert not signer.verify(session[:-1] + ("0" if session[-1] != "0" else "1"))
    assert sender_for_web(session).startswith("web:") and "." not in sender_for_web(session)
    assert len({signer.new() for _ in range(100)}) == 100


async def _cancelled_send(sender: str, text: str, metadata: dict | None = None):
    import asyncio

    raise asyncio.CancelledError()


@pytest.mark.anyio
async def test_a_cancelled_request_does_not_block_its_resend(service, monkeypatch):
    import asyncio

    monkeypatch.setattr(service._rasa, "send", _cancelled_send)
    message = IncomingMessage("web:x", text="Hallo", message_id="m1")
    with pytest.raises(asyncio.CancelledError):
        await service.handle(message)
    monkeypatch.undo()
    answer = await asyncio.wait_for(service.handle(message), timeout=5)  # Rasa is down: friendly answer
    assert "nicht erreichbar" in answer[0].text


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
