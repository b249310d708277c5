"""The redacting tracker store: secret messages never reach the database, the live tracker keeps them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_plugins.tracker_store import REDACTED, RedactingSQLTrackerStore, redacted_tracker

pytestmark = pytest.mark.anyio

CODE = "K7M2Q9"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def code_message(secret: object) -> UserUttered:
    entities = [{"entity": "access_code", "value": CODE, "text": CODE.lower(), "start": 0, "end": 6}]
    return UserUttered(
        CODE.lower(),
        intent={"name": "inform", "confidence": 0.9},
        entities=entities,
        parse_data={"intent": {"name": "inform", "confidence": 0.9}, "entities": entities, "text": CODE.lower()},
        metadata={"secret": secret} if secret is not None else {},
    )


def conversation(sender: str, secret: object) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered("Hallo", intent={"name": "greet", "confidence": 1.0}),
            ActionExecuted("action_listen"),
            code_message(secret),
            SlotSet("access_code", "verified"),
        ],
    )


def store_at(path: Path) -> RedactingSQLTrackerStore:
    return RedactingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path))


def stored_rows(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return "\n".join(str(row) for row in db.execute("SELECT * FROM events"))


async def test_a_secret_message_is_stored_redacted_and_the_live_tracker_keeps_it(tmp_path: Path):
    db = tmp_path / "tracker.db"
    tracker = conversation("citizen", secret=True)
    await store_at(db).save(tracker)

    rows = stored_rows(db)
    assert CODE not in rows.upper() and REDACTED in rows and "Hallo" in rows
    assert tracker.latest_message.text == CODE.lower()  # the actions of this turn still read it
    assert tracker.events[-2].entities[0]["value"] == CODE

    stored = await store_at(db).retrieve("citizen")
    assert stored is not None
    user = [e for e in stored.events if isinstance(e, UserUttered)]
    assert [e.text for e in user] == ["Hallo", REDACTED]
    assert user[1].intent_name == "inform" and user[1].metadata == {"secret": True}
    assert user[1].entities[0]["value"] == REDACTED and user[1].parse_data["text"] == REDACTED
    assert [e.value for e in stored.events if isinstance(e, SlotSet)] == ["verified"]


async def test_messages_without_the_secret_mark_are_stored_as_sent(tmp_path: Path):
    db = tmp_path / "tracker.db"
    await store_at(db).save(conversation("plain", secret=None))
    await store_at(db).save(conversation("not-secret", secret=False))
    assert stored_rows(db).upper().count(CODE) >= 2


async def test_later_turns_append_without_restoring_the_secret(tmp_path: Path):
    db = tmp_path / "tracker.db"
    store = store_at(db)
    tracker = conversation("citizen", secret=True)
    await store.save(tracker)
    later = await store.retrieve("citizen")
    assert later is not None
    later.update(UserUttered("Danke", intent={"name": "thank", "confidence": 1.0}))
    await store.save(later)
    rows = stored_rows(db)
    assert CODE not in rows.upper() and "Danke" in rows
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events WHERE type_name = 'user'").fetchone()[0] == 3


def test_a_tracker_without_secrets_is_passed_on_unchanged():
    tracker = conversation("plain", secret=None)
    assert redacted_tracker(tracker) is tracker
