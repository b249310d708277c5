"""End to end over Rasa's REST channel: backend, action server and Rasa server on loopback."""

from __future__ import annotations

import time
import uuid

import pytest

from bot.launcher.processes import Stack

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def say(stack: Stack, sender: str, text: str) -> list[str]:
    return [m.get("text", "") for m in stack.rasa_api().send(sender, text)]


def test_case_status_conversation(full_stack: Stack):
    sender = f"test:{uuid.uuid4().hex}"
    assert "Aktenzeichen" in say(full_stack, sender, "Wie ist der Stand meines Antrags?")[0]
    assert "Zugangscode" in say(full_stack, sender, "ba 2025 004711")[0]
    replies = say(full_stack, sender, "K7M2Q9")
    assert "in Bearbeitung" in replies[0] and "BA-2025-004711" in replies[0]
    tracker = full_stack.rasa_api().tracker(sender)
    assert tracker["slots"]["access_code"] is None and tracker["slots"]["case_number"] is None
    slot_values = [e.get("value") for e in tracker["events"] if e["event"] == "slot"]
    assert "K7M2Q9" not in slot_values


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
    import sqlite3

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
