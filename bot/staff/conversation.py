"""A citizen's conversation with the bot as staff may see it in the live chat: the user and bot
messages of the tracker store, redacted as in the inbox unless the reader may see the original."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from .inbox import tracker_events
from .redaction import redact

MAX_LINES = 200


def _text(data: str | dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    event = json.loads(data) if isinstance(data, str) else data
    return event.get("event", ""), event.get("text") or "", event.get("metadata") or {}


def bot_conversation(tracker: sa.engine.Engine, sender_id: str, *, original: bool = False) -> list[dict[str, Any]]:
    """User and bot messages before (and between) handoffs, oldest first, as transcript lines.
    Messages a handoff appended (metadata.author) are left out: the handoff has its own lines."""
    query = (
        sa.select(tracker_events.c.timestamp, tracker_events.c.data)
        .where(tracker_events.c.sender_id == sender_id, tracker_events.c.type_name.in_(("user", "bot")))
        .order_by(tracker_events.c.id.desc())
        .limit(MAX_LINES)
    )
    try:
        with tracker.connect() as conn:
            rows = conn.execute(query).all()
    except sa.exc.OperationalError:  # no tracker store yet (nobody wrote to the bot)
        return []
    lines = []
    for row in reversed(rows):
        kind, text, metadata = _text(row.data)
        if not text or text.startswith("/") or metadata.get("author"):
            continue
        author_kind = "citizen" if kind == "user" else "bot"
        shown = text if original else redact(text)  # bot answers may quote case data too
        lines.append({"seq": None, "author_kind": author_kind, "author": "", "text": shown, "time": row.timestamp})
    return lines


def recent_citizen_texts(tracker: sa.engine.Engine, sender_id: str, limit: int = 3) -> list[str]:
    """The citizen's last messages to the bot, redacted (for the queue)."""
    lines = [line for line in bot_conversation(tracker, sender_id) if line["author_kind"] == "citizen"]
    return [line["text"] for line in lines[-limit:]]
