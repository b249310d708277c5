"""10,000 hostile messages (`tests.fuzz`) through `POST /api/chat` and 10,000 frames through the web
chat WebSocket of the real gateway app, Rasa a fake (`tests.fakes.rasa`), the limits raised: no 5xx,
every message answered or refused in German, nothing typed reaches Rasa as a command, and an ordinary
question is answered right after. The same messages go through the real stack in tests/test_e2e_fuzz.py."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.core.text import strip_control_chars
from bot.gateway.api_keys import digest
from bot.gateway.app import create_app
from bot.gateway.settings import GatewaySettings
from tests.fakes.rasa import FakeRasa
from tests.fuzz import (
    ORDINARY,
    assert_answered,
    assert_chat_api_answer,
    assert_refused_in_german,
    hostile_frames,
    hostile_messages,
    ws_answer,
)

CLOSED = "http://127.0.0.1:9"
API_KEY = "integrator-key-0123456789"
HEADERS = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
COUNT = 10_000
FRAMES_PER_SOCKET = 500


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def client(tmp_path: Path, rasa: FakeRasa) -> Iterator[TestClient]:
    settings = GatewaySettings(
        secret_key="fuzz-secret",
        rasa_url=CLOSED,
        actions_url=CLOSED,
        backend_url=CLOSED,
        telegram_bot_token=None,
        data_dir=tmp_path,
        api_keys=digest(API_KEY),
        # one test client sends everything: the limits themselves are tested in test_app_limits.py
        rate_limit_per_minute=1_000_000,
        api_rate_limit_per_minute=1_000_000,
        sessions_per_minute=1_000_000,
    )
    with TestClient(create_app(settings, rasa_transport=rasa.transport)) as test_client:
        yield test_client


def assert_rasa_got_only_text(rasa: FakeRasa) -> None:
    """What reached Rasa is cleaned text: no command, no control character, within the limit."""
    for text in rasa.texts():
        assert text and not text.startswith("/") and len(text) <= 2000, text[:80]
        assert strip_control_chars(text) == text, text[:80]


def test_10000_hostile_messages_through_the_chat_api(client: TestClient, rasa: FakeRasa):
    statuses: Counter[int] = Counter()
    for index, text in enumerate(hostile_messages(COUNT)):
        # ASCII-escaped JSON, so lone surrogates and NUL travel as a script would send them
        body = json.dumps({"sender": f"fuzz-{index % 97}", "message": text})
        response = client.post("/api/chat", content=body, headers=HEADERS)
        statuses[response.status_code] += 1
        assert_chat_api_answer(response)
    assert sum(statuses.values()) == COUNT and set(statuses) == {200, 413, 422}, statuses
    assert len(rasa.received) == statuses[200]
    assert_rasa_got_only_text(rasa)
    after = client.post("/api/chat", json={"sender": "fuzz-0", "message": ORDINARY}, headers=HEADERS)
    assert after.status_code == 200 and after.json()["messages"][0]["text"] == f"Echo: {ORDINARY}"


def test_10000_hostile_frames_through_the_websocket(client: TestClient, rasa: FakeRasa):
    kinds: Counter[str] = Counter()
    frames = hostile_frames(COUNT)
    for start in range(0, COUNT, FRAMES_PER_SOCKET):  # a new socket (and conversation) now and then
        with client.websocket_connect("/ws/chat") as ws:
            assert ws.receive_json()["type"] == "session"
            for frame in frames[start : start + FRAMES_PER_SOCKET]:
                if isinstance(frame, bytes):
                    ws.send_bytes(frame)
                else:
                    ws.send_text(frame)
                answer = ws_answer(ws.receive_json)
                kinds[answer["type"]] += 1
                if answer["type"] == "bot":
                    assert_answered(answer["messages"])
                else:
                    assert answer["type"] == "error", answer
                    assert_refused_in_german(answer["text"])
            ws.send_text(json.dumps({"type": "message", "id": "ordinary", "text": ORDINARY}))
            answer = ws_answer(ws.receive_json)  # the socket lived through all of it
            assert answer["type"] == "bot" and answer["messages"][0]["text"] == f"Echo: {ORDINARY}", answer
    assert sum(kinds.values()) == COUNT and kinds["bot"] > COUNT // 2 and kinds["error"] > 0, kinds
    assert_rasa_got_only_text(rasa)
