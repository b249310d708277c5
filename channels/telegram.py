"""Telegram adapter: a python-telegram-bot Application inside the gateway (no second web server).

Webhook mode: POST /telegram/webhook with Telegram's secret-token header (403 otherwise);
updates go onto the Application's queue. Polling mode is for local development.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request, Response
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from channels.base import Button, IncomingMessage, OutgoingMessage
from channels.port import ChatPort, ChatRefused

logger = logging.getLogger(__name__)

T = TypeVar("T")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_ONLY = "Ich kann leider nur Textnachrichten lesen. Bitte schreiben Sie mir Ihre Frage."
NEW_CONVERSATION = "Ein neues Gespräch hat begonnen."
RATING_THANKS = "Danke für Ihre Rückmeldung."
RATING_PREFIX = "rate:"
MAX_ATTEMPTS = 4


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split at paragraph, line or word boundaries so each part fits Telegram's limit."""
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


async def with_retry(
    call: Callable[[], Awaitable[T]], *, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
) -> T:
    """Retry Telegram calls on flood control (RetryAfter) and network errors, with backoff."""
    delay = 0.5
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            if attempt == MAX_ATTEMPTS:
                raise
            logger.warning("Telegram flood control, retrying in %.1f s", seconds)
            await sleep(min(seconds, 60.0))
        except (TimedOut, NetworkError):
            if attempt == MAX_ATTEMPTS:
                raise
            logger.warning("Telegram network error, retry %d in %.1f s", attempt, delay, exc_info=True)
            await sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


class CallbackPayloads:
    """Telegram's callback_data holds 64 bytes; longer payloads are kept here under a short key."""

    def __init__(self, size: int = 10_000) -> None:
        self._payloads: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= 64 and not payload.startswith("k:"):
            return payload
        key = "k:" + hashlib.sha256(payload.encode()).hexdigest()[:20]
        self._payloads[key] = payload
        while len(self._payloads) > self._size:
            self._payloads.popitem(last=False)
        return key

    def decode(self, data: str) -> str | None:
        return self._payloads.get(data) if data.startswith("k:") else data


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
    def __init__(self, config: TelegramConfig, chat: ChatPort) -> None:
        self._config = config
        self._chat = chat
        self._payloads = CallbackPayloads()
        builder = Application.builder().token(config.bot_token).base_url(config.api_base_url)
        if config.mode == "webhook":
            builder = builder.updater(None)
        self.application = builder.build()
        self._add_handlers()

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        await with_retry(self.application.initialize)
        if self._config.mode == "polling":
            await self.application.bot.delete_webhook()
            await self.application.updater.start_polling()
        elif self._config.webhook_url:
            await with_retry(
                lambda: self.application.bot.set_webhook(
                    url=self._config.webhook_url,
                    secret_token=self._config.webhook_secret,
                    allowed_updates=["message", "callback_query"],
                )
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
        return bool(secret and header) and hmac.compare_digest(header.encode(), secret.encode())

    async def enqueue(self, data: dict[str, Any]) -> None:
        await self.application.update_queue.put(Update.de_json(data, self.application.bot))

    # --- handlers --------------------------------------------------------------------------
    def _add_handlers(self) -> None:
        app = self.application
        app.add_handler(CommandHandler("start", self._on_start))
        app.add_handler(CommandHandler("hilfe", self._on_help))
        app.add_handler(CommandHandler("neu", self._on_new))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_handler(MessageHandler(~filters.TEXT, self._on_other))
        app.add_error_handler(self._on_error)

    @staticmethod
    def sender(chat_id: int) -> str:
        return f"telegram:{chat_id}"

    async def _forward(self, chat_id: int, message: IncomingMessage, context: ContextTypes.DEFAULT_TYPE) -> None:
        await with_retry(lambda: context.bot.send_chat_action(chat_id, "typing"))
        rate_ref = message.message_id if self._config.ratings else None
        try:
            answer = await self._chat.handle(message)
        except ChatRefused as refused:
            answer, rate_ref = [OutgoingMessage(refused.text)], None  # nothing to rate
        await self.send(chat_id, answer, context, rate_ref=rate_ref)

    async def send(
        self,
        chat_id: int,
        messages: list[OutgoingMessage],
        context: ContextTypes.DEFAULT_TYPE,
        rate_ref: str | None = None,
    ) -> None:
        """Send an answer; with `rate_ref`, its last message carries 👍/👎 buttons."""
        for number, message in enumerate(messages, start=1):
            parts = split_text(message.text) or [""]
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                rating = rate_ref if last and number == len(messages) else None
                markup = self._keyboard(message.buttons, rating) if last and (message.buttons or rating) else None
                await with_retry(
                    lambda p=part, m=markup: context.bot.send_message(
                        chat_id, p or "Bitte wählen Sie:", reply_markup=m, disable_web_page_preview=True
                    )
                )

    def _keyboard(self, buttons: list[Button], rate_ref: str | None = None) -> InlineKeyboardMarkup:
        rows = [[InlineKeyboardButton(b.title[:64], callback_data=self._payloads.encode(b.payload))] for b in buttons]
        if rate_ref:
            rows.append(
                [
                    InlineKeyboardButton("👍 Hilfreich", callback_data=f"{RATING_PREFIX}1:{rate_ref}"[:64]),
                    InlineKeyboardButton("👎 Nicht hilfreich", callback_data=f"{RATING_PREFIX}-1:{rate_ref}"[:64]),
                ]
            )
        return InlineKeyboardMarkup(rows)

    async def _on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        for payload in ("/greet", "/help"):
            await self._forward(chat_id, IncomingMessage(self.sender(chat_id), payload=payload), context)

    async def _on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        await self._forward(chat_id, IncomingMessage(self.sender(chat_id), payload="/help"), context)

    async def _on_new(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        await self._chat.restart(self.sender(chat_id))
        await self.send(chat_id, [OutgoingMessage(NEW_CONVERSATION)], context)
        await self._on_help(update, context)

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        chat_id = update.effective_chat.id
        await self._forward(
            chat_id,
            IncomingMessage(self.sender(chat_id), text=message.text, message_id=str(message.message_id)),
            context,
        )

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat_id = update.effective_chat.id
        if (query.data or "").startswith(RATING_PREFIX):
            value, _, ref = query.data.removeprefix(RATING_PREFIX).partition(":")
            try:
                await self._chat.rate(self.sender(chat_id), ref, 1 if value == "1" else -1)
            except ChatRefused:
                logger.warning("rating from chat %s for %r refused", chat_id, ref)
            await with_retry(lambda: query.answer(RATING_THANKS))
            return
        await with_retry(query.answer)  # stops the spinner on the button
        payload = self._payloads.decode(query.data or "")
        if payload is None:
            await self.send(
                chat_id,
                [OutgoingMessage("Diese Auswahl ist nicht mehr gültig. Bitte schreiben Sie mir Ihre Frage.")],
                context,
            )
            return
        await self._forward(
            chat_id, IncomingMessage(self.sender(chat_id), payload=payload, message_id=f"cb:{query.id}"), context
        )

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat:
            await self.send(update.effective_chat.id, [OutgoingMessage(TEXT_ONLY)], context)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("Telegram update failed", exc_info=context.error)


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
        await channel.enqueue(data)
        return Response(status_code=200)

    return router
