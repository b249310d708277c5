"""The common message model every channel translates to and from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

_URL = re.compile(r"https?://[^\s<>\"')]*[^\s<>\"').,;:!?]")  # without trailing punctuation

# The marker a bot response carries (domain.yml: `custom: {"input": "secret"}`) when it asks for a
# secret such as the access code: the citizen's next message is flagged and never kept in clear.
SECRET_INPUT = {"input": "secret"}


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class IncomingMessage:
    """Typed text, or a button press (payload plus the title the citizen saw).

    `client` is who the limits count: the network address of a web or API caller; None for channels
    whose sender the channel itself vouches for (Telegram), then the sender counts. `trusted` marks
    a command the adapter generated itself (Telegram's /start → `/greet`): only then is a payload
    forwarded without checking that the bot offered it. Adapters set both in code, never from the
    citizen's input."""

    sender: str  # namespaced: "web:…", "telegram:…", "api:…"
    text: str = ""
    payload: str | None = None
    message_id: str | None = None  # channel's id, used to drop duplicates
    client: str | None = None
    trusted: bool = False

    @property
    def for_rasa(self) -> str:
        return self.payload or self.text


@dataclass(frozen=True)
class Attachment:
    """A file sent along with a message (a booking's .ics); channels that can send files do
    (Telegram: a document), the others show only the message's text (which links the file)."""

    filename: str
    mime: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class OutgoingMessage:
    text: str = ""
    buttons: list[Button] = field(default_factory=list)
    # The bot asks for a secret (the access code): the channel should not store the next entry.
    secret_input: bool = False
    attachment: Attachment | None = None  # never in `to_dict()`: the web chat shows the text's link

    @property
    def links(self) -> list[str]:
        return _URL.findall(self.text)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
        }
        if self.secret_input:
            data["input"] = "secret"
        return data


def from_rasa(replies: list[dict[str, Any]]) -> list[OutgoingMessage]:
    """Rasa REST channel replies -> common messages (images as text links). A custom payload is
    never shown: the secret-input marker flags the message it belongs to (Rasa sends it as a reply
    of its own right after the response's text), any other custom payload is dropped."""
    messages: list[OutgoingMessage] = []
    secret_pending = False
    for reply in replies:
        if reply.get("custom") == SECRET_INPUT:
            if messages:
                messages[-1] = replace(messages[-1], secret_input=True)
            else:
                secret_pending = True
        text = reply.get("text") or reply.get("image") or ""
        buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in reply.get("buttons") or []]
        if text or buttons:
            messages.append(OutgoingMessage(text, buttons, secret_input=secret_pending))
            secret_pending = False
    return messages


def expects_secret(answer: list[OutgoingMessage]) -> bool:
    return any(message.secret_input for message in answer)


# What the gateway pushes to a citizen outside an answer to their own message (human handoff,
# docs/handoff.md). Channels render them; the web chat replays pushes after a reconnect by `seq`.
@dataclass(frozen=True)
class Push:
    """A message from a person (role "agent") or a notice about the handoff (role "system")."""

    seq: int
    role: str  # "agent" | "system"
    author: str | None
    messages: list[OutgoingMessage]
    time: str  # ISO 8601, UTC

    def to_frame(self) -> dict[str, Any]:
        return {
            "type": "push",
            "seq": self.seq,
            "time": self.time,
            "role": self.role,
            "author": self.author,
            "messages": [m.to_dict() for m in self.messages],
        }


@dataclass(frozen=True)
class QueueStatus:
    """The citizen's place in the queue; position None: no longer queued."""

    position: int | None
    wait_minutes: int | None = None

    def to_frame(self) -> dict[str, Any]:
        return {"type": "queue", "position": self.position, "wait_minutes": self.wait_minutes}

    def text_de(self) -> str:
        if self.position is None:
            return ""
        place = (
            "Sie sind als Nächstes an der Reihe." if self.position == 1 else f"Sie sind an Position {self.position}."
        )
        return f"{place} Geschätzte Wartezeit: etwa {self.wait_minutes or 1} Minuten."


@dataclass(frozen=True)
class AgentTyping:
    on: bool
    author: str | None = None

    def to_frame(self) -> dict[str, Any]:
        return {"type": "agent_typing", "on": self.on, "author": self.author}


PushEvent = Push | QueueStatus | AgentTyping
