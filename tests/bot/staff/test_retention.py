"""Retention against Rasa's own SQL tracker store (SQLite file)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.staff.retention import purge_conversations

DAY = 86_400


def store_conversation(store: SQLTrackerStore, sender: str, *timestamps: float) -> None:
    tracker = DialogueStateTracker(sender, slots=[])
    for timestamp in timestamps:
        tracker.update(UserUttered("Hallo", {"name": "greet", "confidence": 1.0}, timestamp=timestamp))
    asyncio.run(store.save(tracker))


def test_only_inactive_conversations_are_deleted(tmp_path: Path):
    db = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    now = time.time()
    store_conversation(store, "web:old", now - 100 * DAY)
    store_conversation(store, "web:recent", now - 5 * DAY)
    store_conversation(store, "telegram:mixed", now - 120 * DAY, now - 1 * DAY)  # still active: kept whole

    assert purge_conversations(f"sqlite:///{db}", older_than_days=90, now=now) == 1
    remaining = set(asyncio.run(store.keys()))
    assert remaining == {"web:recent", "telegram:mixed"}
    assert len(asyncio.run(store.retrieve("telegram:mixed")).events) == 2


def test_empty_database_and_bad_days(tmp_path: Path):
    assert purge_conversations(f"sqlite:///{tmp_path / 'none.db'}", older_than_days=90) == 0
    with pytest.raises(ValueError, match="older_than_days"):
        purge_conversations(f"sqlite:///{tmp_path / 'none.db'}", older_than_days=0)


def test_command_line_purge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    from bot.cli.main import main
    from bot.staff.settings import get_settings

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    store_conversation(store, "web:old", time.time() - 40 * DAY)
    monkeypatch.setenv("BUERGERBOT_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["logs", "purge", "--days", "30"]) == 0
    finally:
        get_settings.cache_clear()
    assert "1 Gespräche gelöscht" in capsys.readouterr().out
    assert list(asyncio.run(store.keys())) == []


def test_tracker_store_settings_for_postgresql_and_sqlite(tmp_path):
    from bot.launcher.processes import tracker_store_config

    assert tracker_store_config("", tmp_path / "t.db") == {
        "type": "SQL",
        "dialect": "sqlite",
        "db": str(tmp_path / "t.db"),
    }
    assert tracker_store_config("postgresql://bot:pw@127.0.0.1:5432/buergerbot", tmp_path / "t.db") == {
        "type": "SQL",
        "dialect": "postgresql",
        "url": "127.0.0.1",
        "port": 5432,
        "db": "buergerbot",
        "username": "bot",
        "password": "pw",
    }


def test_ended_handoffs_and_done_callbacks_expire_active_ones_stay(tmp_path: Path):
    from bot.staff import callbacks
    from bot.staff import handoff as store
    from bot.staff.accounts import add_user
    from bot.staff.retention import purge_handoffs
    from bot.staff.tables import connect

    url = f"sqlite:///{tmp_path / 'staff.db'}"
    engine = connect(url)
    agent = add_user(engine, "anna", "Passwort-fuer-Anna", "agent")
    old = store.open_handoff(engine, "web:old", "buergerservice", "human_handoff", now=0)
    store.add_message(engine, old.id, "citizen", "Hallo", now=1)
    store.end(engine, old.id, "abandoned", now=2)
    waiting = store.open_handoff(engine, "web:waiting", "buergerservice", "human_handoff", now=0)
    reference = callbacks.submit(
        engine, "web:cb", "buergerservice", name="Erika", contact_kind="phone", contact="+4930123456",
        topic="Wohngeld", preferred_time="vormittags",
    )  # fmt: skip
    request = next(r for r in callbacks.listing(engine) if r.reference == reference)
    callbacks.done(engine, request.id, agent)
    assert purge_handoffs(url, 90, now=time.time() + 91 * 86_400) == 1
    assert store.get(engine, waiting.id).active and store.messages(engine, old.id) == []
    assert callbacks.listing(engine) == []
    engine.dispose()
