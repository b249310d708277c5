"""Rasa's SQL tracker store, minus secrets: a citizen's message that answered a secret prompt
(the access code) is never written to the database.

The gateway sends such a message with the metadata `{"secret": true}`. Rasa keeps the tracker in
memory for the whole turn, so the actions still read the code; only what is saved (and streamed to
an event broker) is redacted: the message text, the text inside its NLU result, and every entity
value and text. Intent and metadata stay, so the conversation's course stays readable.
"""

from __future__ import annotations

import copy
from collections import deque
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

SECRET_METADATA_KEY = "secret"
REDACTED = "[VERTRAULICH]"


def is_secret(event: Event) -> bool:
    """Whether `event` is a user message the channel marked as secret."""
    metadata = getattr(event, "metadata", None) or {}
    return isinstance(event, UserUttered) and bool(metadata.get(SECRET_METADATA_KEY))


def _redact_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    redacted = []
    for entity in entities:
        clean = {**entity, "value": REDACTED}
        if "text" in clean:
            clean["text"] = REDACTED
        redacted.append(clean)
    return redacted


def redacted_event(event: UserUttered) -> UserUttered:
    """A copy of `event` with its text, the NLU result's text and all entity values redacted."""
    clone = copy.deepcopy(event)
    clone.text = REDACTED
    clone.entities = _redact_entities(clone.entities)
    parse_data: dict[str, Any] = dict(clone.parse_data)
    parse_data["text"] = REDACTED
    parse_data["entities"] = _redact_entities(parse_data.get("entities") or [])
    clone.parse_data = parse_data
    return clone


def redacted_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """`tracker` as it may be stored: a shallow copy whose secret messages are redacted. The
    tracker Rasa keeps using for the turn is not changed."""
    if not any(is_secret(event) for event in tracker.events):
        return tracker
    clone = copy.copy(tracker)
    clone.events = deque(
        (redacted_event(event) if is_secret(event) else event for event in tracker.events),
        maxlen=tracker.events.maxlen,
    )
    return clone


class RedactingSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` that redacts secret user messages before saving (endpoints.yml:
    `tracker_store: {type: bot.rasa_plugins.tracker_store.RedactingSQLTrackerStore, ...}`)."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(redacted_tracker(tracker))
