"""The Telegram adapter alone: a `TelegramChannel` with a tiny in-test `ChatPort`, talking to the
fake Bot API on loopback (no gateway, no Rasa). Updates go through `Application.process_update`,
so each test sees the adapter's whole answer before it checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from channels.base import Attachment, Button, IncomingMessage, OutgoingMessage
from channels.port import ChatRefused, InvalidRating
from channels.telegram import (
    CHOICE_EXPIRED,
    RATING_THANKS,
    ChannelRateLimiter,
    FloodWaitTooLong,
    TelegramChannel,
    TelegramConfig,
    split_text,
)
from tests.conftest import free_port
from tests.fakes.telegram_api import FakeTelegramAPI, button_press, text_message

pytestmark = pytest.mark.anyio

LONG_PAYLOAD = '/ask_duration{"service": "parkausweis_schwerbehinderte", "office": "ordnungsamt"}'
_ids = iter(range(10_000, 99_999))


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's coming `RetryAfter.retry_after` type; the int form warns (an error here)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture(scope="module")
def api() -> Iterator[FakeTelegramAPI]:
    fake = FakeTelegramAPI(port=free_port())
    fake.start()
    yield fake
    fake.stop()


@dataclass
class FakeChat:
    """The chat core as the adapter sees it: answers are set by the test, calls are recorded."""

    answer: list[OutgoingMessage] = field(default_factory=list)
    refuse: str | None = None
    handled: list[IncomingMessage] = field(default_factory=list)
    ratings: list[tuple[str, str, int]] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    refuse_ratings: bool = False

    async def handle(
        self, message: IncomingMessage, thinking: Callable[[], Awaitable[None]] | None = None
    ) -> list[OutgoingMessage]:
        self.handled.append(message)
        if self.refuse:
            raise ChatRefused(self.refuse)
        if thinking is not None:  # as the chat core: right before the bot is asked
            await thinking()
        return self.answer

    async def restart(self, sender: str) -> None:
        self.restarted.append(sender)

    async def rate(self, sender: str, ref: str, value: int) -> None:
        if self.refuse_ratings:
            raise InvalidRating("Diese Antwort kenne ich nicht.")
        self.ratings.append((sender, ref, value))


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat(
        answer=[OutgoingMessage("Gebühr für Parkausweis: 10 €", [Button("Dauer", LONG_PAYLOAD)])],
    )


def make_channel(api: FakeTelegramAPI, chat: FakeChat, **config: Any) -> TelegramChannel:
    settings: dict[str, Any] = {"bot_token": "123456:TEST-TOKEN", "webhook_secret": "s3cr3t", **config}
    limiter = ChannelRateLimiter(backoff=0.01)  # quick network retries in tests
    return TelegramChannel(TelegramConfig(api_base_url=api.base_url, **settings), chat, rate_limiter=limiter)


@pytest.fixture
async def channel(api: FakeTelegramAPI, chat: FakeChat) -> AsyncIterator[TelegramChannel]:
    telegram = make_channel(api, chat, webhook_url="https://buergerbot.example/telegram/webhook")
    await telegram.start()
    yield telegram
    await telegram.stop()


async def receive(channel: TelegramChannel, update: dict[str, Any]) -> None:
    """One webhook body through the adapter, as the gateway's route hands it over."""
    await channel.application.process_update(channel.parse(update))


def to(api: FakeTelegramAPI, chat_id: int) -> list[dict[str, Any]]:
    return [p for p in api.sent() if int(p["chat_id"]) == chat_id]


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


def test_split_text_respects_the_limit_and_prefers_line_breaks():
    text = ("Absatz eins. " * 300) + "\n\n" + ("Absatz zwei. " * 300)
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts) and len(parts) >= 2
    assert parts[0].endswith("Absatz eins.") and parts[1].startswith("Absatz zwei.")
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert split_text("kurz") == ["kurz"]
    assert split_text("") == []
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]  # no boundary: cut hard


async def test_webhook_is_registered_with_the_secret(channel, api):
    hook = api.sent("setWebhook")[-1]
    assert hook["url"] == "https://buergerbot.example/telegram/webhook" and hook["secret_token"] == "s3cr3t"
    assert hook["allowed_updates"] == ["message", "callback_query"]


async def test_a_button_carries_its_payload_however_long(channel, api, chat):
    chat_id = next(_ids)
    await receive(channel, text_message(next(_ids), chat_id, "Was kostet ein Parkausweis?"))
    answer = to(api, chat_id)[-1]
    duration = next(b for b in buttons_of(answer) if b["text"] == "Dauer")
    # Telegram gets the library's short key, not the 80-byte payload.
    assert len(duration["callback_data"].encode()) <= 64 and "parkausweis" not in duration["callback_data"]

    press = button_press(next(_ids), chat_id, duration["callback_data"])
    await receive(channel, press)
    assert chat.handled[-1] == IncomingMessage(
        f"telegram:{chat_id}", text="Dauer", payload=LONG_PAYLOAD, message_id=f"cb:{press['callback_query']['id']}"
    )
    assert press["callback_query"]["id"] in [p["callback_query_id"] for p in api.sent("answerCallbackQuery")]
    assert len(to(api, chat_id)) == 2  # the answer to the press


@pytest.mark.parametrize("data", ["f" * 64, "/case_status", "rate:1:17"])
async def test_an_unknown_button_is_answered_as_no_longer_valid(channel, api, chat, data):
    chat_id = next(_ids)
    press = button_press(next(_ids), chat_id, data)
    await receive(channel, press)
    assert [m["text"] for m in to(api, chat_id)] == [CHOICE_EXPIRED]
    assert press["callback_query"]["id"] in [p["callback_query_id"] for p in api.sent("answerCallbackQuery")]
    assert chat.handled == [] and chat.ratings == []


async def test_buttons_of_an_earlier_process_are_no_longer_valid(channel, api, chat):
    chat_id = next(_ids)
    await receive(channel, text_message(next(_ids), chat_id, "Was kostet ein Parkausweis?"))
    old_key = buttons_of(to(api, chat_id)[-1])[0]["callback_data"]
    restarted = make_channel(api, chat)  # the gateway restarted: the cache is empty
    await restarted.start()
    try:
        await receive(restarted, button_press(next(_ids), chat_id, old_key))
    finally:
        await restarted.stop()
    assert to(api, chat_id)[-1]["text"] == CHOICE_EXPIRED and len(chat.handled) == 1


async def test_rating_buttons_carry_the_question_and_the_vote(channel, api, chat):
    chat_id = next(_ids)
    question = text_message(next(_ids), chat_id, "Wann hat das Bürgeramt geöffnet?")
    await receive(channel, question)
    rating_row = to(api, chat_id)[-1]["reply_markup"]["inline_keyboard"][-1]
    assert [b["text"] for b in rating_row] == ["👍 Hilfreich", "👎 Nicht hilfreich"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in rating_row)

    for button, vote in zip(rating_row, (1, -1), strict=True):
        press = button_press(next(_ids), chat_id, button["callback_data"])
        await receive(channel, press)
        answered = [
            p for p in api.sent("answerCallbackQuery") if p["callback_query_id"] == press["callback_query"]["id"]
        ]
        assert [a["text"] for a in answered] == [RATING_THANKS]
        assert chat.ratings[-1] == (f"telegram:{chat_id}", str(question["message"]["message_id"]), vote)
    assert len(chat.handled) == 1 and len(to(api, chat_id)) == 1  # a rating is no message to the bot


async def test_a_refused_rating_is_still_thanked(channel, api, chat):
    chat_id = next(_ids)
    await receive(channel, text_message(next(_ids), chat_id, "Hallo"))
    thumbs_up = to(api, chat_id)[-1]["reply_markup"]["inline_keyboard"][-1][0]
    chat.refuse_ratings = True  # e.g. the chat core no longer knows the rated answer
    press = button_press(next(_ids), chat_id, thumbs_up["callback_data"])
    await receive(channel, press)
    answered = [p for p in api.sent("answerCallbackQuery") if p["callback_query_id"] == press["callback_query"]["id"]]
    assert [a["text"] for a in answered] == [RATING_THANKS] and chat.ratings == []


async def test_refusals_and_switched_off_ratings_get_no_rating_buttons(api, chat):
    chat_id = next(_ids)
    quiet = make_channel(api, chat, ratings=False)
    await quiet.start()
    try:
        await receive(quiet, text_message(next(_ids), chat_id, "Was kostet ein Parkausweis?"))
        assert [b["text"] for b in buttons_of(to(api, chat_id)[-1])] == ["Dauer"]
        chat.refuse = "Bitte schreiben Sie etwas langsamer."
        await receive(quiet, text_message(next(_ids), chat_id, "Noch eine Frage"))
        assert to(api, chat_id)[-1]["text"] == chat.refuse and "reply_markup" not in to(api, chat_id)[-1]
    finally:
        await quiet.stop()


async def test_long_answers_are_split_and_only_the_last_part_has_buttons(channel, api, chat):
    chat_id = next(_ids)
    chat.answer = [OutgoingMessage(("Absatz. " * 600).strip(), [Button("Kosten", "/ask_fees")])]
    await receive(channel, text_message(next(_ids), chat_id, "Erzähl mir alles"))
    first, second = to(api, chat_id)
    assert "reply_markup" not in first
    assert [b["text"] for b in buttons_of(second)] == ["Kosten", "👍 Hilfreich", "👎 Nicht hilfreich"]


async def test_a_short_flood_wait_is_waited_out_by_the_library(channel, api, chat):
    chat_id = next(_ids)
    api.flood_control("sendMessage", 1, chat_id=chat_id, retry_after=1)
    started = time.monotonic()
    await receive(channel, text_message(next(_ids), chat_id, "Hallo"))
    refused, delivered = to(api, chat_id)
    assert refused["text"] == delivered["text"] == chat.answer[0].text
    assert time.monotonic() - started >= 1.0


async def test_a_long_flood_wait_is_not_slept_in_the_handler(channel, api, chat, caplog):
    chat_id = next(_ids)
    api.flood_control("sendMessage", 1, chat_id=chat_id, retry_after=120)
    started = time.monotonic()
    await receive(channel, text_message(next(_ids), chat_id, "Hallo"))
    assert time.monotonic() - started < 5
    assert len(to(api, chat_id)) == 1  # given up, not retried
    assert any(isinstance(r.exc_info and r.exc_info[1], FloodWaitTooLong) for r in caplog.records)


async def test_a_network_error_is_retried_over_the_real_http_path(channel, api, chat):
    chat_id = next(_ids)
    api.fail("sendMessage", 1, chat_id=chat_id, status=502)
    await receive(channel, text_message(next(_ids), chat_id, "Hallo"))
    assert [m["text"] for m in to(api, chat_id)] == [chat.answer[0].text] * 2


async def test_an_attachment_follows_its_message_as_a_document(channel, api, chat):
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    chat.answer = [
        OutgoingMessage("Ihr Termin ist gebucht.", attachment=Attachment("termin.ics", "text/calendar", ics)),
        OutgoingMessage("Kann ich sonst noch helfen?"),
    ]
    chat_id = next(_ids)
    await receive(channel, text_message(next(_ids), chat_id, "Ja"))
    assert [m["text"] for m in to(api, chat_id)] == ["Ihr Termin ist gebucht.", "Kann ich sonst noch helfen?"]
    (document,) = [d for d in api.sent("sendDocument") if int(d["chat_id"]) == chat_id]
    assert document["document"]["filename"] == "termin.ics" and document["document"]["data"] == ics
    order = [(c.method, c.params.get("text")) for c in api.calls if str(c.params.get("chat_id")) == str(chat_id)]
    sends = [entry for entry in order if entry[0] in ("sendMessage", "sendDocument")]
    assert sends == [
        ("sendMessage", "Ihr Termin ist gebucht."),
        ("sendDocument", None),
        ("sendMessage", "Kann ich sonst noch helfen?"),
    ]


async def test_text_only_and_new_conversation(channel, api, chat):
    chat_id = next(_ids)
    await receive(channel, text_message(next(_ids), chat_id, "/neu"))
    assert chat.restarted == [f"telegram:{chat_id}"]
    assert to(api, chat_id)[0]["text"] == "Ein neues Gespräch hat begonnen."
    assert chat.handled[-1].payload == "/help"


async def test_adapter_commands_are_trusted_and_typed_text_is_not(channel, api, chat):
    chat_id = next(_ids)
    await receive(channel, text_message(next(_ids), chat_id, "/start"))
    await receive(channel, text_message(next(_ids), chat_id, "Hallo"))
    assert [(m.payload, m.trusted) for m in chat.handled] == [("/greet", True), ("/help", True), (None, False)]


# --- updates: concurrent across chats, in order within a chat ------------------------------------


@dataclass
class GatedChat(FakeChat):
    """Answers each message with its text; a message whose text has a gate waits until it opens."""

    gates: dict[str, asyncio.Event] = field(default_factory=dict)

    async def handle(
        self, message: IncomingMessage, thinking: Callable[[], Awaitable[None]] | None = None
    ) -> list[OutgoingMessage]:
        self.handled.append(message)
        if thinking is not None:
            await thinking()
        if gate := self.gates.get(message.text):
            await gate.wait()
        return [OutgoingMessage(f"Antwort auf {message.text}")]


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_a_slow_chat_delays_no_other_and_each_chat_is_answered_in_order(api):
    slow = asyncio.Event()
    chat = GatedChat(gates={"langsam": slow})
    telegram = make_channel(api, chat, ratings=False)
    await telegram.start()  # updates now go through the application's queue, as from the webhook
    a, b = next(_ids), next(_ids)
    try:
        await telegram.enqueue(text_message(next(_ids), a, "langsam"))
        await telegram.enqueue(text_message(next(_ids), a, "danach"))
        await telegram.enqueue(text_message(next(_ids), b, "schnell"))
        await eventually(lambda: [m["text"] for m in to(api, b)] == ["Antwort auf schnell"])
        assert [m.text for m in chat.handled if m.sender == f"telegram:{a}"] == ["langsam"]  # "danach" waits its turn
        assert to(api, a) == []
        slow.set()
        await eventually(lambda: len(to(api, a)) == 2)
        assert [m["text"] for m in to(api, a)] == ["Antwort auf langsam", "Antwort auf danach"]
    finally:
        slow.set()
        await telegram.stop()


# --- the rate limiter's own retries, without HTTP ---------------------------------------------------


class Script:
    """A Telegram request that fails as scripted, then succeeds; the limiter's sleeps are recorded."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0
        self.slept: list[float] = []

    async def request(self, *_args: Any, **_kwargs: Any) -> bool:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return True

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    async def through(self, endpoint: str, **limits: Any) -> Any:
        limiter = ChannelRateLimiter(sleep=self.sleep, **limits)
        return await limiter.process_request(self.request, (), {}, endpoint, {"chat_id": 1}, None)


async def test_network_errors_are_retried_with_short_backoff():
    script = Script(NetworkError("connection reset"), TimedOut())
    assert await script.through("sendChatAction") is True
    assert script.calls == 3 and script.slept == [0.5, 1.0]


async def test_network_retries_are_bounded():
    script = Script(*[NetworkError("down")] * 5)
    with pytest.raises(NetworkError):
        await script.through("sendMessage", network_retries=2)
    assert script.calls == 3 and sum(script.slept) <= 2


@pytest.mark.parametrize(
    ("endpoint", "error"),
    [("sendMessage", BadRequest("Message is too long")), ("sendMessage", TimedOut())],
)
async def test_bad_requests_and_timed_out_sends_are_not_repeated(endpoint, error):
    # A timed-out sendMessage may have arrived: repeating it could show the answer twice.
    script = Script(error)
    with pytest.raises(type(error)):
        await script.through(endpoint)
    assert script.calls == 1 and script.slept == []


async def test_a_flood_wait_longer_than_allowed_is_raised_at_once():
    script = Script(RetryAfter(60))
    started = time.monotonic()
    with pytest.raises(FloodWaitTooLong):
        await script.through("sendMessage", max_flood_wait=5)
    assert script.calls == 1 and time.monotonic() - started < 1
