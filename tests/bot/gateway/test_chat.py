import asyncio
import functools
from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.gateway.attachments import BackendFiles
from bot.gateway.chat import BUSY, Busy, ChatService, EmptyMessage, MessageTooLong, neutralise
from bot.gateway.limits import LimitConfig, MemoryLimits
from bot.gateway.rate_limit import RateLimiter
from bot.infra.rasa_client import RasaClient
from channels.base import Attachment, Button, IncomingMessage, OutgoingMessage
from channels.port import ChatRefused
from channels.webchat.sessions import SessionSigner, sender_for_web
from tests.fakes.rasa import FakeRasa, Replies
from tests.fuzz import ANY_TEXT

FEES = '/ask_fees{"service": "reisepass"}'


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


def test_offered_button_payloads_go_to_rasa_as_they_are(service):
    service.conversations.record("web:x", [OutgoingMessage("Was möchten Sie wissen?", [Button("Kosten", FEES)])])
    message = IncomingMessage("web:x", text="Kosten", payload=FEES)
    assert service.clean(message) == FEES
    assert service.clean(IncomingMessage("web:other", text="Kosten", payload=FEES)) == "Kosten"  # not offered there


def test_unoffered_payloads_and_typed_commands_are_text(service):
    assert service.clean(IncomingMessage("web:x", text="Neu", payload="/restart")) == "Neu"
    assert service.clean(IncomingMessage("web:x", payload="/restart")) == "restart"
    assert service.clean(IncomingMessage("web:x", text="/restart")) == "restart"
    assert service.clean(IncomingMessage("web:x", text=" / /inform{}")) == "inform{}"
    with pytest.raises(EmptyMessage):
        service.clean(IncomingMessage("web:x", text="///"))


def test_commands_the_adapter_marks_trusted_pass(service):
    assert service.clean(IncomingMessage("telegram:1", payload="/greet", trusted=True)) == "/greet"


@functools.cache
def _shared_service() -> ChatService:
    """One service for every hypothesis example (building an HTTP client per example is slow)."""
    return ChatService(RasaClient("http://127.0.0.1:9", 1), max_chars=2000)


@given(st.text(max_size=3000) | ANY_TEXT)
@settings(max_examples=200, deadline=None)
def test_neutralise_never_leaves_a_command(text):
    cleaned = neutralise(text)
    assert not cleaned.startswith("/") and len(cleaned) <= len(text) and cleaned == cleaned.strip()


@given(st.text(max_size=2500) | ANY_TEXT, st.one_of(st.none(), st.text(max_size=50), ANY_TEXT))
@settings(max_examples=200, deadline=None)
def test_clean_refuses_in_german_or_returns_bounded_text(text, payload):
    try:
        cleaned = _shared_service().clean(IncomingMessage("web:h", text=text, payload=payload))
    except ChatRefused as refused:  # the only way it may fail: a German reason for the citizen
        assert isinstance(refused, (EmptyMessage, MessageTooLong)) and refused.text
        return
    assert 0 < len(cleaned) <= 2000 and not cleaned.startswith("/")
    cleaned.encode("utf-8")  # lone surrogates are gone: the request to Rasa can be encoded


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
    raise asyncio.CancelledError()


@pytest.mark.anyio
async def test_a_cancelled_request_does_not_block_its_resend(service, monkeypatch):
    monkeypatch.setattr(service._rasa, "send", _cancelled_send)
    message = IncomingMessage("web:x", text="Hallo", message_id="m1")
    with pytest.raises(asyncio.CancelledError):
        await service.handle(message)
    monkeypatch.undo()
    answer = await asyncio.wait_for(service.handle(message), timeout=5)  # Rasa is down: friendly answer
    assert "nicht erreichbar" in answer[0].text
    assert service.limits.rasa_in_flight == 0  # type: ignore[attr-defined]


def _secret_prompt(sender: str, text: str) -> Replies:
    if text == "Stand":
        return [
            {"recipient_id": sender, "text": "Ihr Zugangscode?"},
            {"recipient_id": sender, "custom": {"input": "secret"}},
        ]
    return [{"recipient_id": sender, "text": "ok"}]


@pytest.mark.anyio
async def test_the_answer_to_a_secret_prompt_is_sent_flagged():
    rasa = FakeRasa(reply=_secret_prompt)
    service = ChatService(RasaClient("http://rasa.test", 1, transport=rasa.transport), max_chars=2000)
    answer = await service.handle(IncomingMessage("web:s", text="Stand", client="192.0.2.1"))
    assert answer == [OutgoingMessage("Ihr Zugangscode?", secret_input=True)]
    await service.handle(IncomingMessage("web:other", text="K7M2Q9", client="192.0.2.2"))  # another conversation
    await service.handle(IncomingMessage("web:s", text="K7M2Q9", client="192.0.2.1"))
    await service.handle(IncomingMessage("web:s", text="Danke", client="192.0.2.1"))
    assert [body.get("metadata", {}).get("secret") for body in rasa.received] == [None, None, True, None]


@pytest.mark.anyio
async def test_a_lone_surrogate_reaches_rasa_stripped_not_as_rasa_down():
    """Found by the fuzz run: '\\ud800' (valid JSON) made encoding the Rasa request fail, and the
    citizen was told the bot was unreachable."""
    rasa = FakeRasa()
    service = ChatService(RasaClient("http://rasa.test", 1, transport=rasa.transport), max_chars=2000)
    answer = await service.handle(IncomingMessage("web:u", text="Reise\ud800pass", client="192.0.2.1"))
    assert answer == [OutgoingMessage("Echo: Reisepass")] and rasa.texts() == ["Reisepass"]


@pytest.mark.anyio
async def test_busy_is_answered_at_once_and_frees_its_slot():
    rasa = FakeRasa()
    rasa.hold()
    limits = MemoryLimits(LimitConfig(max_rasa_in_flight=1))
    service = ChatService(RasaClient("http://rasa.test", 5, transport=rasa.transport), max_chars=2000, limits=limits)
    first = asyncio.create_task(service.handle(IncomingMessage("web:a", text="eins", client="192.0.2.1")))
    while not rasa.received:
        await asyncio.sleep(0.01)
    with pytest.raises(Busy) as busy:
        await asyncio.wait_for(service.handle(IncomingMessage("web:b", text="zwei", client="192.0.2.2")), 0.5)
    assert busy.value.text == BUSY and busy.value.status == 503
    rasa.release()
    assert (await asyncio.wait_for(first, 5))[0].text == "Echo: eins"
    assert limits.rasa_in_flight == 0
    assert rasa.texts() == ["eins"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


ICS_PATH = "/api/appointments/bookings/7.ics?token=abc.DEF-123"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def _booked(path: str) -> Callable[[str, str], Replies]:
    def reply(sender: str, text: str) -> Replies:
        return [
            {"recipient_id": sender, "text": "Ihr Termin ist gebucht."},
            {
                "recipient_id": sender,
                "custom": {"attachment": {"path": path, "filename": "termin.ics", "mime": "text/calendar"}},
            },
            {"recipient_id": sender, "text": "Kann ich sonst noch helfen?"},
        ]

    return reply


class FakeBackend:
    """The appointments backend's .ics download as an `httpx.MockTransport`; records the paths asked."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.asked: list[str] = []

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.raw_path.decode())
        if self.down:
            raise httpx.ConnectError("backend down", request=request)
        if request.url.path == "/api/appointments/bookings/7.ics" and request.url.params.get("token") == "abc.DEF-123":
            return httpx.Response(200, content=ICS, headers={"content-type": "text/calendar"})
        return httpx.Response(404)

    def files(self) -> BackendFiles:
        return BackendFiles("http://backend.test", transport=httpx.MockTransport(self._handle))


def _service_with(path: str, backend: FakeBackend) -> ChatService:
    rasa = FakeRasa(reply=_booked(path))
    return ChatService(
        RasaClient("http://rasa.test", 1, transport=rasa.transport), max_chars=2000, files=backend.files()
    )


@pytest.mark.anyio
async def test_a_bookings_ics_is_fetched_and_attached_to_the_last_message():
    backend = FakeBackend()
    answer = await _service_with(ICS_PATH, backend).handle(IncomingMessage("telegram:1", text="Ja"))
    assert [m.text for m in answer] == ["Ihr Termin ist gebucht.", "Kann ich sonst noch helfen?"]  # marker not shown
    assert answer[0].attachment is None
    assert answer[-1].attachment == Attachment("termin.ics", "text/calendar", ICS)
    assert backend.asked == [ICS_PATH]
    assert answer[-1].to_dict() == {"text": "Kann ich sonst noch helfen?", "buttons": []}  # no bytes for the web


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path",
    [
        "http://evil.test/api/appointments/bookings/7.ics?token=abc",
        "//evil.test/api/appointments/bookings/7.ics?token=abc",
        "/api/appointments/feeds/ordnungsamt.ics?token=abc",
        "/api/appointments/bookings/7.ics",
        "/api/appointments/bookings/../../staff/users.ics?token=abc",
        "/api/appointments/bookings/7.ics?token=abc&x=http://evil.test",
        "/api/staff/export?x=/api/appointments/bookings/7.ics?token=abc",
    ],
)
async def test_a_disallowed_path_is_never_fetched(path):
    backend = FakeBackend()
    answer = await _service_with(path, backend).handle(IncomingMessage("telegram:1", text="Ja"))
    assert [m.text for m in answer] == ["Ihr Termin ist gebucht.", "Kann ich sonst noch helfen?"]
    assert all(m.attachment is None for m in answer) and backend.asked == []


@pytest.mark.anyio
async def test_backend_down_sends_the_answer_without_the_file(caplog):
    backend = FakeBackend(down=True)
    answer = await _service_with(ICS_PATH, backend).handle(IncomingMessage("telegram:1", text="Ja"))
    assert [m.text for m in answer] == ["Ihr Termin ist gebucht.", "Kann ich sonst noch helfen?"]
    assert all(m.attachment is None for m in answer) and backend.asked == [ICS_PATH]
    assert "attachment not fetched" in caplog.text
