"""Channel-independent chat handling: clean and check input, rate-limit, ask Rasa, map failures.

`ChatService` is the gateway's implementation of `channels.port.ChatPort`."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from bot.core.text import strip_control_chars
from bot.infra.rasa_client import RasaClient, RasaUnavailable
from channels.base import IncomingMessage, OutgoingMessage, from_rasa
from channels.port import ChatRefused

from .rate_limit import RateLimiter

logger = logging.getLogger(__name__)

RASA_DOWN = (
    "Der Bürgerbot ist gerade nicht erreichbar. Bitte versuchen Sie es in ein paar Minuten "
    "noch einmal oder rufen Sie das Bürgertelefon 115 an (Mo–Fr 8–18 Uhr)."
)


class MessageTooLong(ChatRefused):
    status = 413

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"Ihre Nachricht ist zu lang ({length:,} Zeichen). Bitte fassen Sie sich kürzer: "
            f"höchstens {limit:,} Zeichen.".replace(",", ".")
        )
        self.length = length


class EmptyMessage(ChatRefused):
    status = 422

    def __init__(self) -> None:
        super().__init__("Bitte schreiben Sie eine Nachricht.")


class RateLimited(ChatRefused):
    status = 429

    def __init__(self) -> None:
        super().__init__(
            "Sie haben sehr viele Nachrichten in kurzer Zeit geschickt. "
            "Bitte warten Sie einen Moment und versuchen Sie es dann noch einmal."
        )


def message_ref(message: IncomingMessage) -> str:
    """The channel's message id, or a random one for channels without ids."""
    return (message.message_id or secrets.token_hex(8))[:64]


# Stores a citizen's rating (sender, message ref, +1/-1); raises ChatRefused for bad input.
RatingStore = Callable[[str, str, int], Awaitable[None]]


class ChatService:
    def __init__(
        self,
        rasa: RasaClient,
        *,
        max_chars: int,
        per_minute: int,
        remembered: int = 10_000,
        ratings: RatingStore | None = None,
    ) -> None:
        self._rasa = rasa
        self._ratings = ratings
        self._max_chars = max_chars
        self._limiter = RateLimiter(per_minute)
        # Answers by (sender, message id): a message resent after a dropped connection is
        # answered again without reaching Rasa twice.
        self._answers: OrderedDict[tuple[str, str], asyncio.Future[list[OutgoingMessage]]] = OrderedDict()
        self._remembered = remembered

    def clean(self, message: IncomingMessage) -> str:
        if message.payload and message.payload.startswith("/"):
            return strip_control_chars(message.payload)[: self._max_chars]
        text = strip_control_chars(message.text).strip()
        if len(text) > self._max_chars:
            raise MessageTooLong(len(text), self._max_chars)
        if not text:
            raise EmptyMessage()
        return text

    async def handle(self, message: IncomingMessage) -> list[OutgoingMessage]:
        text = self.clean(message)
        key = (message.sender, message.message_id) if message.message_id else None
        if key and key in self._answers:
            logger.info("duplicate message %s from %s answered from memory", message.message_id, message.sender)
            return await asyncio.shield(self._answers[key])
        if not self._limiter.allow(message.sender):
            raise RateLimited()
        future: asyncio.Future[list[OutgoingMessage]] = asyncio.get_running_loop().create_future()
        if key:
            self._remember(key, future)
        # The reference ties a later rating of this answer to the message in the tracker store.
        metadata = {"ref": message_ref(message)}
        try:
            answer = from_rasa(await self._rasa.send(message.sender, text, metadata))
        except RasaUnavailable:
            logger.warning("Rasa unavailable for %s", message.sender, exc_info=True)
            answer = [OutgoingMessage(RASA_DOWN)]
            if key:
                self._answers.pop(key, None)  # let a resend try Rasa again
        except BaseException as exc:  # cancelled or unexpected: no duplicate may wait forever
            if key:
                self._answers.pop(key, None)
            future.set_exception(exc)
            future.exception()  # mark as retrieved when no duplicate is waiting
            raise
        future.set_result(answer)
        return answer

    async def restart(self, sender: str) -> None:
        """Start a new conversation for a sender (Rasa's /restart)."""
        try:
            await self._rasa.send(sender, "/restart")
        except RasaUnavailable:
            logger.warning("could not restart %s", sender)

    async def rate(self, sender: str, ref: str, value: int) -> None:
        if self._ratings is None:
            raise ChatRefused("Bewertungen sind hier nicht möglich.")
        await self._ratings(sender, ref, value)

    def _remember(self, key: tuple[str, str], future: asyncio.Future[list[OutgoingMessage]]) -> None:
        self._answers[key] = future
        while len(self._answers) > self._remembered:
            self._answers.popitem(last=False)
