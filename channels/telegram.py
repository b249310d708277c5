"""Telegram adapter: a python-telegram-bot Application inside the gateway (no second web server).

Webhook mode: POST /telegram/webhook with Telegram's secret-token header (403 otherwise);
updates go onto the Application's queue. Polling mode is for local development.

The library does the plumbing: button payloads are kept by its callback-data cache
(`arbitrary_callback_data`; the buttons carry `Button` and `Rating` objects, a button unknown to
the cache, e.g. from before a restart, arrives as `InvalidCallbackData`), and Telegram's flood
limits are handled by its `AIORateLimiter`. `ChannelRateLimiter` adds only what the library
lacks: a few quick retries after network errors and a cap on how long a flood wait may hold a
handler. `ChatOrderedUpdateProcessor` runs the updates of different chats concurrently and those of
one chat one after the other, in the order they arrived.

Commands the adapter makes itself (/start → `/greet`) are marked `trusted`; a citizen's text is
never a command, and a button's payload reaches Rasa only if the bot offered it (the chat core checks).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TypeAlias

from fastapi import APIRouter, Request, Response
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, LinkPreviewOptions, Update
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InvalidCallbackData,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from channels.base import AgentTyping, Button, IncomingMessage, OutgoingMessage, PushEvent, QueueStatus
from channels.port import ChatPort, ChatRefused

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_ONLY = "Ich kann leider nur Textnachrichten lesen. Bitte schreiben Sie mir Ihre Frage."
NEW_CONVERSATION = "Ein neues Gespräch hat begonnen."
RATING_THANKS = "Danke für Ihre Rückmeldung."
CHOICE_EXPIRED = "Diese Auswahl ist nicht mehr gültig. Bitte schreiben Sie mir Ihre Frage."
CHOOSE = "Bitte wählen Sie:"
KEYBOARDS_KEPT = 10_000  # answers whose buttons still work (the library's LRU callback-data cache)
CONCURRENT_UPDATES = 64  # updates handled at the same time (of different chats)

# The library's default context (its generics do not follow `.rate_limiter()` into the context type).
Context: TypeAlias = ContextTypes.DEFAULT_TYPE
ApiResult: TypeAlias = "bool | dict[str, Any] | list[dict[str, Any]]"

# Methods that may be sent twice without the citizen noticing; a timed-out sendMessage may
# have arrived, so it is not repeated (a lost answer can be asked again, a doubled one confuses).
IDEMPOTENT = frozenset({"getMe", "setWebhook", "deleteWebhook", "sendChatAction", "answerCallbackQuery"})


@dataclass(frozen=True)
class Rating:
    """What a 👍/👎 button carries: the id of the rated answer's question and the vote."""

    ref: str
    value: Literal[1, -1]


class FloodWaitTooLong(TelegramError):
    """Telegram asked for a longer pause than a handler may wait; the request is given up."""


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split so each part fits Telegram's limit: at a paragraph break if one lies in the second half
    of the part, else at a line break, else at a space, else hard at the limit."""
    boundaries = ("\n\n", "\n", " ")
    parts: list[str] = []
    while len(text) > limit:
        found = [text.rfind(boundary, 0, limit) for boundary in boundaries]
        cut = next((at for at in found if at > limit // 2), max(found))
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's requested pause; `retry_after` is an int or (PTB_TIMEDELTA=true) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)  # the int form is deprecated in PTB 22.2
        wait = error.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


class ChannelRateLimiter(AIORateLimiter):
    """The library's flood control: it throttles to Telegram's limits and waits out a `RetryAfter`
    (`flood_retries` times). Added here, because PTB 22 has no retry for ordinary requests:
    `network_retries` quick retries after a network error (not after BadRequest, nor after a
    timeout of a non-idempotent method), and a pause longer than `max_flood_wait` seconds is
    not waited out inside a handler but raised as `FloodWaitTooLong`."""

    def __init__(
        self,
        *,
        flood_retries: int = 2,
        max_flood_wait: float = 5.0,
        network_retries: int = 2,
        backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        super().__init__(max_retries=flood_retries)
        self._max_flood_wait = max_flood_wait
        self._network_retries = network_retries
        self._backoff = backoff
        self._sleep = sleep

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, ApiResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> ApiResult:
        async def bounded(*call_args: Any, **call_kwargs: Any) -> ApiResult:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as exc:
                if (seconds := retry_after_seconds(exc)) > self._max_flood_wait:
                    raise FloodWaitTooLong(f"{endpoint}: Telegram asks to wait {seconds:.0f} s") from exc
                raise

        delay = self._backoff
        for attempt in range(self._network_retries + 1):
            try:
                return await super().process_request(bounded, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise  # Telegram refused the request itself; sending it again changes nothing
            except NetworkError as exc:
                if attempt == self._network_retries or (isinstance(exc, TimedOut) and endpoint not in IDEMPOTENT):
                    raise
                logger.warning("Telegram %s: network error, retry %d in %.1f s", endpoint, attempt + 1, delay)
                await self._sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently (at most `running` handlers at a time), the
    updates of one chat strictly one after the other in arrival order: a slow answer in one chat
    delays no other chat, and a citizen's two messages are answered in the order they were sent.

    The application starts one task per update in queue order (at most `max_concurrent_updates`
    tasks; more wait in the library). Each task first queues on its chat's lock (FIFO) and only then
    takes one of the `running` slots, so updates waiting for their own chat hold no slot."""

    def __init__(
        self, running: int = CONCURRENT_UPDATES, max_concurrent_updates: int = 16 * CONCURRENT_UPDATES
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._running = asyncio.Semaphore(running)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # chat id -> lock, updates holding or awaiting it

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
        async with AsyncExitStack() as stack:
            if chat_id is not None:
                await stack.enter_async_context(_ChatLock(self._chats, chat_id))
            async with self._running:
                await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    @property
    def chats_in_progress(self) -> int:
        return len(self._chats)


class _ChatLock:
    """Holds one chat's lock; the lock is dropped once no update of the chat holds or awaits it."""

    def __init__(self, chats: dict[int, tuple[asyncio.Lock, int]], chat_id: int) -> None:
        self._chats = chats
        self._chat_id = chat_id

    async def __aenter__(self) -> None:
        lock, users = self._chats.get(self._chat_id) or (asyncio.Lock(), 0)
        self._chats[self._chat_id] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._leave()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._chats[self._chat_id][0].release()
        self._leave()

    def _leave(self) -> None:
        lock, users = self._chats[self._chat_id]
        if users <= 1:
            del self._chats[self._chat_id]
        else:
            self._chats[self._chat_id] = (lock, users - 1)


@dataclass(frozen=True)
class TelegramConfig:
    """What the adapter needs to know; the gateway fills it from its settings."""

    bot_token: str
    mode: Literal["webhook", "polling"] = "webhook"
    webhook_secret: str | None = None
    # Public HTTPS URL of /telegram/webhook; when set, it is registered at start-up.
    webhook_url: str | None = None
    api_base_url: str = "https://api.telegram.org/bot"
    ratings: bool = True  # 👍/👎 buttons under answers

    def __post_init__(self) -> None:
        if not self.bot_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        if self.mode == "webhook" and not self.webhook_secret:
            raise ValueError("BUERGERBOT_TELEGRAM_WEBHOOK_SECRET must be set for the Telegram webhook")

    def __repr__(self) -> str:  # never print the token or the secret
        return f"TelegramConfig(mode={self.mode!r}, webhook_url={self.webhook_url!r})"


class TelegramChannel:
    def __init__(self, config: TelegramConfig, chat: ChatPort, rate_limiter: ChannelRateLimiter | None = None) -> None:
        self._config = config
        self._chat = chat
        builder = (
            Application.builder()
            .token(config.bot_token)
            .base_url(config.api_base_url)
            .arbitrary_callback_data(KEYBOARDS_KEPT)
            .rate_limiter(rate_limiter or ChannelRateLimiter())
            .concurrent_updates(ChatOrderedUpdateProcessor())
        )
        if config.mode == "webhook":
            builder = builder.updater(None)
        self.application = builder.build()
        self._add_handlers()

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await self.application.initialize()
        bot = self.application.bot
        if self._config.mode == "polling":
            await bot.delete_webhook()
            if self.application.updater is not None:
                await self.application.updater.start_polling(allowed_updates=["message", "callback_query"])
        elif self._config.webhook_url:
            await bot.set_webhook(
                url=self._config.webhook_url,
                secret_token=self._config.webhook_secret,
                allowed_updates=["message", "callback_query"],
            )
        await self.application.start()
        logger.info("Telegram on (%s mode)", self._config.mode)

    async def stop(self) -> None:
        if self.application.updater and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    def secret_matches(self, header: str | None) -> bool:
        secret = self._config.webhook_secret
        if not secret or not header:
            return False
        return hmac.compare_digest(header.encode(), secret.encode())

    def parse(self, data: dict[str, Any]) -> Update:
        """A webhook body as an Update whose buttons carry their objects again (as the library's
        own webhook server does; an unknown button carries `InvalidCallbackData`)."""
        update = Update.de_json(data, self.application.bot)
        self.application.bot.insert_callback_data(update)
        return update

    async def enqueue(self, data: dict[str, Any]) -> None:
        await self.application.update_queue.put(self.parse(data))

    # --- handlers --------------------------------------------------------------------------
    def _add_handlers(self) -> None:
        app = self.application
        app.add_handler(CommandHandler("start", self._on_start))
        app.add_handler(CommandHandler("hilfe", self._on_help))
        app.add_handler(CommandHandler("neu", self._on_new))
        app.add_handler(CallbackQueryHandler(self._on_rating, pattern=Rating))
        app.add_handler(CallbackQueryHandler(self._on_button, pattern=Button))
        app.add_handler(CallbackQueryHandler(self._on_expired_button))  # InvalidCallbackData or foreign data
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_handler(MessageHandler(~filters.TEXT, self._on_other))
        app.add_error_handler(self._on_error)

    @staticmethod
    def sender(chat_id: int) -> str:
        return f"telegram:{chat_id}"

    def _command(self, chat_id: int, payload: str) -> IncomingMessage:
        """A command the adapter itself sends for a Telegram command (never the citizen's text)."""
        return IncomingMessage(self.sender(chat_id), payload=payload, trusted=True)

    async def _forward(self, chat_id: int, message: IncomingMessage, context: Context) -> None:
        asked_bot = False

        async def thinking() -> None:
            nonlocal asked_bot
            asked_bot = True
            try:
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError:  # the typing hint is a nicety; the answer matters
                logger.warning("typing hint for chat %s failed", chat_id, exc_info=True)

        try:
            answer = await self._chat.handle(message, thinking)
        except ChatRefused as refused:
            answer, asked_bot = [OutgoingMessage(refused.text)], False  # nothing to rate
        # Only the bot's answers are rated (not a person's silence or the gateway's own notices).
        rate_ref = message.message_id if self._config.ratings and asked_bot else None
        await self.send(chat_id, answer, context, rate_ref=rate_ref)

    async def send(
        self,
        chat_id: int,
        messages: list[OutgoingMessage],
        context: Context,
        rate_ref: str | None = None,
    ) -> None:
        """Send an answer; with `rate_ref`, its last message carries 👍/👎 buttons. A message's
        attachment follows it as a document."""
        for number, message in enumerate(messages, start=1):
            parts = split_text(message.text) or [""]
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                rating = rate_ref if last and number == len(messages) else None
                markup = keyboard(message.buttons, rating) if last and (message.buttons or rating) else None
                await context.bot.send_message(
                    chat_id,
                    part or CHOOSE,
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            if message.attachment is not None:  # a booking's .ics: a file the citizen can open
                file = message.attachment
                await context.bot.send_document(
                    chat_id, document=InputFile(file.data, filename=file.filename), filename=file.filename
                )

    async def deliver(self, sender: str, event: PushEvent) -> None:
        """A push from the chat core (a person's reply, a handoff notice, the queue position, the
        person typing). Raises `TelegramError` when Telegram did not take it (the core retries)."""
        chat_id = int(sender.removeprefix("telegram:"))
        bot = self.application.bot
        if isinstance(event, AgentTyping):
            if event.on:
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            return
        if isinstance(event, QueueStatus):
            if event.position is not None:
                await bot.send_message(chat_id, event.text_de())
            return
        for message in event.messages:
            text = f"{event.author}:\n{message.text}" if event.role == "agent" and event.author else message.text
            parts = split_text(text) or [CHOOSE]
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                markup = keyboard(message.buttons) if last and message.buttons else None
                await bot.send_message(
                    chat_id, part, reply_markup=markup, link_preview_options=LinkPreviewOptions(is_disabled=True)
                )

    async def _on_start(self, update: Update, context: Context) -> None:
        chat_id = _chat_id(update)
        for payload in ("/greet", "/help"):
            await self._forward(chat_id, self._command(chat_id, payload), context)

    async def _on_help(self, update: Update, context: Context) -> None:
        chat_id = _chat_id(update)
        await self._forward(chat_id, self._command(chat_id, "/help"), context)

    async def _on_new(self, update: Update, context: Context) -> None:
        chat_id = _chat_id(update)
        await self._chat.restart(self.sender(chat_id))
        await self.send(chat_id, [OutgoingMessage(NEW_CONVERSATION)], context)
        await self._on_help(update, context)

    async def _on_text(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        chat_id = message.chat_id
        await self._forward(
            chat_id,
            IncomingMessage(self.sender(chat_id), text=message.text, message_id=str(message.message_id)),
            context,
        )

    async def _on_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or not isinstance(query.data, Button):
            return
        await query.answer()  # stops the spinner on the button
        chat_id = _chat_id(update)
        message = IncomingMessage(
            self.sender(chat_id), text=query.data.title, payload=query.data.payload, message_id=f"cb:{query.id}"
        )
        await self._forward(chat_id, message, context)

    async def _on_rating(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None or not isinstance(query.data, Rating):
            return
        chat_id = _chat_id(update)
        try:
            await self._chat.rate(self.sender(chat_id), query.data.ref, query.data.value)
        except ChatRefused:
            logger.warning("rating from chat %s for %r refused", chat_id, query.data.ref)
        await query.answer(RATING_THANKS)

    async def _on_expired_button(self, update: Update, context: Context) -> None:
        """A button the cache no longer knows (older than the last `KEYBOARDS_KEPT` answers or
        than the gateway process) or data not made by this bot."""
        query = update.callback_query
        if query is None:
            return
        if not isinstance(query.data, InvalidCallbackData):
            logger.warning("callback data of unexpected type %s", type(query.data).__name__)
        await query.answer()
        await self.send(_chat_id(update), [OutgoingMessage(CHOICE_EXPIRED)], context)

    async def _on_other(self, update: Update, context: Context) -> None:
        if update.effective_chat:
            await self.send(update.effective_chat.id, [OutgoingMessage(TEXT_ONLY)], context)

    async def _on_error(self, update: object, context: Context) -> None:
        logger.error("Telegram update failed", exc_info=context.error)


def keyboard(buttons: list[Button], rate_ref: str | None = None) -> InlineKeyboardMarkup:
    """Inline buttons carrying `Button` (and `Rating`) objects; the library's cache keeps them and
    sends Telegram a short key."""
    rows = [[InlineKeyboardButton(b.title[:64], callback_data=b)] for b in buttons]
    if rate_ref:
        rows.append(
            [
                InlineKeyboardButton("👍 Hilfreich", callback_data=Rating(rate_ref, 1)),
                InlineKeyboardButton("👎 Nicht hilfreich", callback_data=Rating(rate_ref, -1)),
            ]
        )
    return InlineKeyboardMarkup(rows)


def _chat_id(update: Update) -> int:
    """The chat of a message or button press (every update these handlers receive has one)."""
    if update.effective_chat is None:
        raise ValueError(f"update {update.update_id} has no chat")
    return update.effective_chat.id


def create_router(channel: TelegramChannel | None) -> APIRouter:
    """POST /telegram/webhook for `channel` (404 while Telegram is off)."""
    router = APIRouter(tags=["telegram"])

    @router.post("/telegram/webhook", include_in_schema=False)
    async def telegram_webhook(request: Request) -> Response:
        if channel is None:
            return Response(status_code=404)
        if not channel.secret_matches(request.headers.get(SECRET_HEADER)):
            return Response(status_code=403)
        try:
            data = await request.json()
        except ValueError:
            return Response(status_code=400)
        if not isinstance(data, dict):
            return Response(status_code=400)
        await channel.enqueue(data)
        return Response(status_code=200)

    return router
