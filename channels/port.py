"""The port every channel adapter talks to: the gateway implements it and hands it in.

An adapter translates its channel to and from the common message model (`channels.base`) and
calls a `ChatPort`; it never imports the gateway, so it can be read, tested and reused alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from channels.base import IncomingMessage, OutgoingMessage, Push, PushEvent, QueueStatus

# How the chat core reaches a citizen between answers (a person's reply, the queue position).
# Raises when the channel could not deliver (the core keeps the message and tries again).
Deliver = Callable[[str, PushEvent], Awaitable[None]]


class ChatRefused(Exception):
    """A message (or rating) is not forwarded; `text` tells the citizen why, `status` is for HTTP."""

    status = 400

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class InvalidRating(ChatRefused):
    """A rating for an unknown message or with a value other than 1 or -1."""

    status = 422


class ChatPort(Protocol):
    """What a channel may ask of the chat core."""

    async def handle(
        self, message: IncomingMessage, thinking: Callable[[], Awaitable[None]] | None = None
    ) -> list[OutgoingMessage]:
        """The bot's answer to one message; raises `ChatRefused` with a German reason. `thinking`
        is awaited right before the bot is asked (show "typing …" then); when it was not awaited,
        the gateway itself answered (a person holds the conversation, a handoff command): such
        an answer is not the bot's and is not rated."""

    async def restart(self, sender: str) -> None:
        """Start a new conversation for `sender`."""

    async def rate(self, sender: str, ref: str, value: int) -> None:
        """Record a citizen's thumbs up (1) or down (-1) for the answer to message `ref`;
        raises `InvalidRating` for an unknown reference or value."""

    async def citizen_typing(self, sender: str, on: bool) -> None:
        """The citizen started or stopped typing (shown to the person who holds the conversation)."""


class WebchatPort(ChatPort, Protocol):
    """What the web chat asks in addition: its sessions and sockets are counted per client address."""

    async def admit_session(self, client: str) -> None:
        """May `client` start a new conversation now? Raises `ChatRefused` when it started too many."""

    def connection(self, client: str) -> AbstractAsyncContextManager[None]:
        """Holds one open connection of `client` while entered; raises `ChatRefused` on entry when
        the client, or the gateway as a whole, has too many."""

    def subscribe(self, sender: str, deliver: Deliver, since: int) -> AbstractAsyncContextManager[None]:
        """While entered, pushes to `sender` go to `deliver`; on entry, the pushes after `since`
        are replayed and the current queue status is sent."""

    async def updates(self, sender: str, since: int) -> tuple[list[Push], QueueStatus | None]:
        """For the HTTP fallback: the pushes after `since` and the queue status."""
