"""Channel-independent chat handling: clean and check input, apply the limits, ask Rasa, map failures.

`ChatService` is the gateway's implementation of `channels.port.WebchatPort` (and so `ChatPort`).

Typed text is always text: Rasa reads a message starting with "/" as an intent with entities, so
typed text loses its leading slashes, and a button payload is forwarded only when the bot offered
that button to this conversation (or the adapter generated the command itself)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.core.text import strip_control_chars
from bot.infra.rasa_client import RasaClient, RasaUnavailable
from channels.base import IncomingMessage, OutgoingMessage, Push, QueueStatus, from_rasa
from channels.port import ChatRefused, Deliver

from .attachments import BackendFiles, attachment_marker
from .conversations import ConversationMemory
from .handoff.desk import handoff_offer

if TYPE_CHECKING:
    from .handoff.desk import HandoffDesk
from .limits import LimitConfig, Limits, MemoryLimits

logger = logging.getLogger(__name__)

RASA_DOWN = (
    "Der Bürgerbot ist gerade nicht erreichbar. Bitte versuchen Sie es in ein paar Minuten "
    "noch einmal oder rufen Sie das Bürgertelefon 115 an (Mo–Fr 8–18 Uhr)."
)
BUSY = "Der Bürgerbot ist gerade sehr gefragt. Bitte senden Sie Ihre Nachricht in ein paar Sekunden noch einmal."


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


class TooManySessions(ChatRefused):
    status = 429

    def __init__(self) -> None:
        super().__init__(
            "Von Ihrem Anschluss wurden gerade sehr viele neue Gespräche begonnen. "
            "Bitte warten Sie eine Minute und versuchen Sie es dann noch einmal."
        )


class TooManyConnections(ChatRefused):
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "Es sind gerade zu viele Chat-Fenster geöffnet. Bitte schließen Sie andere Chat-Fenster "
            "oder versuchen Sie es später noch einmal."
        )


class Busy(ChatRefused):
    status = 503

    def __init__(self) -> None:
        super().__init__(BUSY)


def message_ref(message: IncomingMessage) -> str:
    """The channel's message id, or a random one for channels without ids."""
    return (message.message_id or secrets.token_hex(8))[:64]


def neutralise(text: str) -> str:
    """Typed text as Rasa must read it: control characters stripped, surrounding white space
    trimmed, and no leading "/" (Rasa would take "/restart" or '/inform{"x": 1}' as an intent)."""
    text = strip_control_chars(text).strip()
    while text.startswith("/"):
        text = text.lstrip("/").lstrip()
    return text


def limit_key(message: IncomingMessage) -> str:
    """Whom a message counts against: the client address, else the sender the channel vouches for."""
    return message.client or message.sender


# Stores a citizen's rating (sender, message ref, +1/-1); raises ChatRefused for bad input.
RatingStore = Callable[[str, str, int], Awaitable[None]]


class ChatService:
    def __init__(
        self,
        rasa: RasaClient,
        *,
        max_chars: int,
        limits: Limits | None = None,
        per_minute: int = 20,
        remembered: int = 10_000,
        ratings: RatingStore | None = None,
        conversations: ConversationMemory | None = None,
        desk: HandoffDesk | None = None,
        files: BackendFiles | None = None,
    ) -> None:
        self._rasa = rasa
        self._files = files
        self.desk = desk
        self._ratings = ratings
        self._max_chars = max_chars
        self.limits: Limits = limits or MemoryLimits(LimitConfig(messages_per_minute=per_minute))
        self.conversations = conversations if conversations is not None else ConversationMemory()
        # Answers by (sender, message id): a message resent after a dropped connection is
        # answered again without reaching Rasa twice.
        self._answers: OrderedDict[tuple[str, str], asyncio.Future[list[OutgoingMessage]]] = OrderedDict()
        self._remembered = remembered

    def clean(self, message: IncomingMessage) -> str:
        """What Rasa gets: an accepted payload as it is, anything else as neutralised text.
        Raises `MessageTooLong` or `EmptyMessage`."""
        payload = message.payload
        if payload and (message.trusted or self.conversations.offered(message.sender, payload)):
            return strip_control_chars(payload)[: self._max_chars]
        text = neutralise(message.text or payload or "")
        if len(text) > self._max_chars:
            raise MessageTooLong(len(text), self._max_chars)
        if not text:
            raise EmptyMessage()
        return text

    async def handle(
        self, message: IncomingMessage, thinking: Callable[[], Awaitable[None]] | None = None
    ) -> list[OutgoingMessage]:
        text = self.clean(message)
        key = (message.sender, message.message_id) if message.message_id else None
        if key and key in self._answers:
            logger.info("duplicate message %s from %s answered from memory", message.message_id, message.sender)
            return await asyncio.shield(self._answers[key])
        if not await self.limits.allow_message(limit_key(message)):
            raise RateLimited()
        if self.desk is not None:  # a person holds the conversation, or a gateway command
            routed = await self.desk.route(message, text)
            if routed is not None:
                self.conversations.record(message.sender, routed)
                return routed
        if not await self.limits.begin_rasa_call():
            logger.warning("Rasa calls at their limit: %s told to try again", message.sender)
            raise Busy()
        try:
            if thinking is not None:
                await thinking()
            return await self._ask_rasa(message, text, key)
        finally:
            await self.limits.end_rasa_call()

    async def _ask_rasa(
        self, message: IncomingMessage, text: str, key: tuple[str, str] | None
    ) -> list[OutgoingMessage]:
        future: asyncio.Future[list[OutgoingMessage]] = asyncio.get_running_loop().create_future()
        if key:
            self._remember(key, future)
        # The reference ties a later rating of this answer to the message in the tracker store.
        metadata: dict[str, Any] = {"ref": message_ref(message)}
        if self.conversations.secret_expected(message.sender):
            metadata["secret"] = True  # the bot asked for the access code: Rasa must not keep it in clear
        try:
            replies = await self._rasa.send(message.sender, text, metadata)
            answer = from_rasa(replies)
            answer = await self._attach(replies, answer)
            offer = handoff_offer(replies)
            if offer is not None and self.desk is not None:
                answer += await self.desk.offer(message.sender, offer)
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
        else:
            self.conversations.record(message.sender, answer)
        future.set_result(answer)
        return answer

    async def _attach(self, replies: list[dict[str, Any]], answer: list[OutgoingMessage]) -> list[OutgoingMessage]:
        """The file Rasa's replies ask for (a booking's .ics), on the answer's last message."""
        marker = attachment_marker(replies)
        if marker is None or self._files is None or not answer:
            return answer
        attachment = await self._files.fetch(marker)
        if attachment is None:
            return answer
        return [*answer[:-1], replace(answer[-1], attachment=attachment)]

    async def restart(self, sender: str) -> None:
        """Start a new conversation for a sender (Rasa's /restart); a queued handoff ends."""
        self.conversations.forget(sender)
        if self.desk is not None:
            try:
                await self.desk.citizen_left(sender)
            except Exception:  # the restart itself must still happen
                logger.warning("handoff of %s not ended on restart", sender.split(":")[0], exc_info=True)
        try:
            await self._rasa.send(sender, "/restart")
        except RasaUnavailable:
            logger.warning("could not restart %s", sender)

    async def rate(self, sender: str, ref: str, value: int) -> None:
        if self._ratings is None:
            raise ChatRefused("Bewertungen sind hier nicht möglich.")
        await self._ratings(sender, ref, value)

    async def citizen_typing(self, sender: str, on: bool) -> None:
        if self.desk is not None:
            await self.desk.citizen_typing(sender, on)

    def subscribe(self, sender: str, deliver: Deliver, since: int) -> AbstractAsyncContextManager[None]:
        if self.desk is None:
            return nullcontext()
        return self.desk.subscribe(sender, deliver, since)

    async def updates(self, sender: str, since: int) -> tuple[list[Push], QueueStatus | None]:
        if self.desk is None:
            return [], None
        return await self.desk.updates(sender, since)

    async def admit_session(self, client: str) -> None:
        if not await self.limits.allow_new_session(client):
            logger.warning("new web sessions of %s at their limit", client)
            raise TooManySessions()

    @asynccontextmanager
    async def connection(self, client: str) -> AsyncIterator[None]:
        if not await self.limits.open_connection(client):
            logger.warning("WebSocket refused: connections of %s or of the gateway at their limit", client)
            raise TooManyConnections()
        try:
            yield
        finally:
            await self.limits.close_connection(client)

    def _remember(self, key: tuple[str, str], future: asyncio.Future[list[OutgoingMessage]]) -> None:
        self._answers[key] = future
        while len(self._answers) > self._remembered:
            self._answers.popitem(last=False)
