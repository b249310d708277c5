"""The common message model every channel translates to and from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_URL = re.compile(r"https?://[^\s<>\"')]*[^\s<>\"').,;:!?]")  # without trailing punctuation


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class IncomingMessage:
    """Typed text, or a button press (payload plus the title the citizen saw)."""

    sender: str  # namespaced: "web:…", "telegram:…", "api:…"
    text: str = ""
    payload: str | None = None
    message_id: str | None = None  # channel's id, used to drop duplicates

    @property
    def for_rasa(self) -> str:
        return self.payload or self.text


@dataclass(frozen=True)
class OutgoingMessage:
    text: str = ""
    buttons: list[Button] = field(default_factory=list)

    @property
    def links(self) -> list[str]:
        return _URL.findall(self.text)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons]}


def from_rasa(replies: list[dict[str, Any]]) -> list[OutgoingMessage]:
    """Rasa REST channel replies -> common messages (images and custom payloads as text links)."""
    messages = []
    for reply in replies:
        text = reply.get("text") or reply.get("image") or ""
        buttons = [Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in reply.get("buttons") or []]
        if text or buttons:
            messages.append(OutgoingMessage(text, buttons))
    return messages
