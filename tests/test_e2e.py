"""End to end over Rasa's REST channel: backend, action server and Rasa server on loopback."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

import httpx
import pytest

from bot.infra.rasa_client import REST_WEBHOOK
from bot.launcher.processes import Stack
from bot.rasa_plugins.tracker_store import REDACTED

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def say(stack: Stack, sender: str, text: str) -> list[str]:
    return [m.get("text", "") for m in stack.rasa_api().send(sender, text)]


def say_secret(stack: Stack, sender: str, text: str) -> list[str]:
    """A message answering a secret prompt, marked as the gateway marks it (metadata secret=true)."""
    body = {"sender": sender, "message": text, "metadata": {"secret": True}}
    answer = httpx.post(f"{stack.rasa_url}{REST_WEBHOOK}", json=body, timeout=30)
    answer.raise_for_status()
    return [m.get("text", "") for m in answer.json()]


def stored_events(stack: Stack, sender: str) -> str:
    """Everything the SQL tracker store holds for `sender`, read from the SQLite file itself."""
    with sqlite3.connect(stack.tracker_db) as db:
        rows = db.execute("SELECT * FROM events WHERE sender_id = ?", (sender,)).fetchall()
    assert rows, "nothing stored"
    return "\n".join(str(row) for row in rows)


def test_case_status_conversation(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    assert "Aktenzeichen" in say(full_stack, sender, "Wie ist der Stand meines Antrags?")[0]
    assert "Zugangscode" in say(full_stack, sender, "ba 2025 004711")[0]
    replies = say_secret(full_stack, sender, "K7M2Q9")
    assert "in Bearbeitung" in replies[0] and "BA-2025-004711" in replies[0]  # checked in the same turn
    tracker = full_stack.rasa_api().tracker(sender)
    assert tracker["slots"]["access_code"] is None and tracker["slots"]["case_number"] is None
    slot_values = [e.get("value") for e in tracker["events"] if e["event"] == "slot"]
    assert "K7M2Q9" not in slot_values
    stored = stored_events(full_stack, sender)
    assert REDACTED in stored and "ba 2025 004711" in stored
    # What the citizen typed is gone, from the stored tracker and from Rasa's.
    assert "K7M2Q9" not in stored.upper()
    assert "K7M2Q9" not in json.dumps(tracker).upper()


def test_rasa_and_action_logs_hold_no_message_text(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    marker = f"Zitronenfalter{uuid.uuid4().hex[:8]}"
    say(full_stack, sender, f"Was kostet ein Reisepass für {marker}?")
    say(full_stack, sender, marker)
    say_secret(full_stack, sender, marker)
    assert marker in stored_events(full_stack, sender)  # the message went through Rasa
    for name in ("rasa", "actions"):
        log = full_stack.log_file(name).read_text(encoding="utf-8", errors="replace")
        assert log and marker not in log, name


def test_wrong_code_says_nothing_about_the_case(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    say(full_stack, sender, "Stand meines Vorgangs BA-2025-004711")
    replies = say(full_stack, sender, "Q1Q1Q1")
    assert "stimmen nicht" in replies[0] and "Bearbeitung" not in " ".join(replies)


def test_follow_up_question_keeps_the_service(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    assert "Reisepass" in say(full_stack, sender, "Was kostet ein Reisepass?")[0]
    assert say(full_stack, sender, "Und wie lange dauert das?")[0].startswith("Bearbeitungszeit für Reisepass")


def test_backend_down_gets_a_friendly_answer_quickly(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    full_stack.stop(("backend",))
    try:
        started = time.monotonic()
        replies = say(full_stack, sender, "Was kostet ein Personalausweis?")
        elapsed = time.monotonic() - started
        assert "nicht erreichbar" in replies[0]
        assert "Guten Tag" in say(full_stack, sender, "Hallo")[0]  # the conversation goes on
    finally:
        full_stack.start(("backend",))
        full_stack.wait_ready(timeout=60)
    print(f"answer with backend down took {elapsed:.2f} s")


def test_conversations_are_kept_in_the_sql_tracker_store(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    say(full_stack, sender, "Hallo")
    with sqlite3.connect(full_stack.tracker_db) as db:
        intents = [
            row[0]
            for row in db.execute(
                "SELECT intent_name FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
            )
        ]
    assert intents == ["greet"]
