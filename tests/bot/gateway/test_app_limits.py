"""The gateway's public surface against a fake Rasa (`tests.fakes.rasa`, no network): limits keyed on
what a caller cannot choose, the API key, typed text that never becomes a command, the secret flag,
body and WebSocket frame limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.gateway.api_keys import digest
from bot.gateway.app import create_app
from bot.gateway.chat import BUSY
from bot.gateway.middleware import BODY_TOO_LARGE
from bot.gateway.settings import GatewaySettings
from channels.webchat.router import FRAME_TOO_LARGE, TEXT_FRAMES_ONLY, UNREADABLE
from channels.webchat.sessions import SessionSigner
from tests.fakes.rasa import FakeRasa, Replies

CLOSED = "http://127.0.0.1:9"
SECRET_KEY = "test-secret"
API_KEY = "integrator-key-0123456789"
KEY = {"X-API-Key": API_KEY}
ASK_CODE = "Bitte geben Sie jetzt den Zugangscode ein."
STATUS = "Ihr Antrag ist in Bearbeitung."
FEES = '/ask_fees{"service": "reisepass"}'


def scripted(sender: str, text: str) -> Replies:
    """Like the real bot: asks for the code (with the secret marker) after a case number, offers buttons."""
    if text.startswith("BA-"):
        return [{"recipient_id": sender, "text": ASK_CODE}, {"recipient_id": sender, "custom": {"input": "secret"}}]
    if text == "K7M2Q9":
        return [{"recipient_id": sender, "text": STATUS}]
    if text == "Reisepass":
        return [
            {
                "recipient_id": sender,
                "text": "Was möchten Sie wissen?",
                "buttons": [{"title": "Kosten", "payload": FEES}],
            }
        ]
    return [{"recipient_id": sender, "text": f"Echo: {text}"}]


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa(reply=scripted)


def make_client(tmp_path, rasa: FakeRasa, **overrides: Any) -> TestClient:
    settings = GatewaySettings(
        **{
            "secret_key": SECRET_KEY,
            "rasa_url": CLOSED,
            "actions_url": CLOSED,
            "backend_url": CLOSED,
            "telegram_bot_token": None,
            "data_dir": tmp_path,
            "api_keys": digest(API_KEY),
            **overrides,
        }
    )
    return TestClient(create_app(settings, rasa_transport=rasa.transport))


@pytest.fixture
def client(tmp_path, rasa: FakeRasa) -> Iterator[TestClient]:
    with make_client(tmp_path, rasa, max_rasa_in_flight=1, websockets_per_client=2, max_websockets=3) as test_client:
        yield test_client


def web(client: TestClient, session: str, text: str = "", **fields: Any):
    return client.post("/api/webchat/message", json={"session": session, "text": text, **fields})


# --- limits keyed on the client, not on identities the caller chooses ------------------------------------


def test_21_messages_a_minute_from_one_client_are_limited_whatever_the_sender(client, rasa):
    signer = SessionSigner(SECRET_KEY)
    sessions = [signer.new() for _ in range(21)]  # 21 valid conversations, 21 different Rasa senders
    codes = [web(client, session, f"Frage {i}").status_code for i, session in enumerate(sessions)]
    assert codes == [200] * 20 + [429]
    assert len(rasa.received) == 20 and len({body["sender"] for body in rasa.received}) == 20


def test_30_new_web_sessions_from_one_client_are_limited(client):
    responses = [web(client, "", "Hallo") for _ in range(30)]
    assert [r.status_code for r in responses] == [200] * 10 + [429] * 20
    assert "neue Gespräche" in responses[-1].json()["detail"]
    with client.websocket_connect("/ws/chat") as ws:  # the WebSocket mints sessions under the same limit
        refused = ws.receive_json()
        assert refused["type"] == "error" and "neue Gespräche" in refused["text"]
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    other = TestClient(client.app, client=("192.0.2.9", 1))
    assert web(other, "", "Hallo").status_code == 200


def test_a_full_in_flight_bound_answers_busy_at_once(client, rasa):
    rasa.hold()
    first: list[int] = []
    waiting = threading.Thread(
        target=lambda: first.append(
            client.post("/api/chat", json={"sender": "a", "message": "1"}, headers=KEY).status_code
        )
    )
    waiting.start()
    try:
        assert rasa.wait_arrived()
        started = time.monotonic()
        busy = client.post("/api/chat", json={"sender": "b", "message": "2"}, headers=KEY)
        elapsed = time.monotonic() - started
    finally:
        rasa.release()
        waiting.join(timeout=10)
    assert busy.status_code == 503 and busy.json()["messages"][0]["text"] == BUSY
    assert elapsed < 1.0 and first == [200] and rasa.texts() == ["1"]
    assert client.post("/api/chat", json={"sender": "b", "message": "3"}, headers=KEY).status_code == 200


def test_trusted_proxy_hops_count_as_clients_and_spoofed_hops_do_not(tmp_path, rasa):
    with make_client(tmp_path, rasa, rate_limit_per_minute=2, trusted_proxies="10.0.0.1") as client:
        proxy = TestClient(client.app, client=("10.0.0.1", 1))
        session = SessionSigner(SECRET_KEY).new()

        def via_proxy(forwarded: str) -> int:
            return proxy.post(
                "/api/webchat/message", json={"session": session, "text": "x"}, headers={"X-Forwarded-For": forwarded}
            ).status_code

        assert [via_proxy(f"6.6.6.{i}, 198.51.100.1") for i in range(3)] == [200, 200, 429]  # right-most hop counts
        assert via_proxy("198.51.100.2") == 200
        spoofed = [
            client.post(
                "/api/webchat/message",
                json={"session": session, "text": "x"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(3)
        ]
        assert spoofed == [200, 200, 429]  # not a trusted peer: its header is ignored


# --- /api/chat needs a key --------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}])
def test_api_chat_without_a_valid_key_is_401_in_german(client, rasa, headers):
    response = client.post("/api/chat", json={"sender": "x", "message": "Hallo"}, headers=headers)
    assert response.status_code == 401 and "API-Schlüssel" in response.json()["detail"]
    assert rasa.received == []


def test_api_senders_live_under_their_key(client, rasa):
    response = client.post("/api/chat", json={"sender": "web:abc", "message": "Hallo"}, headers=KEY)
    assert response.status_code == 200 and response.json()["messages"][0]["text"] == "Echo: Hallo"
    sender = rasa.received[0]["sender"]
    assert sender == f"api:{digest(API_KEY)[:16]}:web:abc"  # cannot pose as a web (or Telegram) sender


# --- typed text is text ------------------------------------------------------------------------------


def test_typed_slash_commands_reach_rasa_as_text(client, rasa):
    session = SessionSigner(SECRET_KEY).new()
    assert web(client, session, "/restart").status_code == 200
    assert web(client, session, ' //inform{"case_number": "BA-2025-004711"}').status_code == 200
    assert rasa.texts() == ["restart", 'inform{"case_number": "BA-2025-004711"}']


def test_only_offered_button_payloads_reach_rasa_as_intents(client, rasa):
    session = SessionSigner(SECRET_KEY).new()
    assert web(client, session, payload="/restart", title="Neu").status_code == 200  # never offered
    web(client, session, "Reisepass")
    assert web(client, session, payload=FEES, title="Kosten").status_code == 200  # offered just now
    other = SessionSigner(SECRET_KEY).new()
    assert web(client, other, payload=FEES, title="Kosten").status_code == 200  # offered to someone else
    assert rasa.texts() == ["Neu", "Reisepass", FEES, "Kosten"]


# --- the access code is flagged secret ----------------------------------------------------------------


def test_the_message_after_a_secret_prompt_is_flagged(client, rasa):
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "id": "m1", "text": "BA-2025-004711"})
        frames = [ws.receive_json() for _ in range(4)]
        assert frames[2]["messages"] == [{"text": ASK_CODE, "buttons": [], "input": "secret"}]
        ws.send_json({"type": "message", "id": "m2", "text": "K7M2Q9"})
        assert [ws.receive_json()["type"] for _ in range(4)] == ["typing", "ack", "bot", "typing"]
        ws.send_json({"type": "message", "id": "m3", "text": "Danke"})
        [ws.receive_json() for _ in range(4)]
    metadata = [body.get("metadata", {}) for body in rasa.received]
    assert [m.get("secret") for m in metadata] == [None, True, None]
    assert all(m["ref"] for m in metadata)  # the rating reference stays


# --- bodies, frames, connections ------------------------------------------------------------------------


def test_a_5_mib_body_is_refused_with_413(client, rasa):
    big = b'{"session": "", "text": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    declared = client.post("/api/webchat/message", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["detail"] == BODY_TOO_LARGE

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"session": "", "text": "'
        for _ in range(80):
            yield b"x" * 65536
        yield b'"}'

    streamed = client.post("/api/webchat/message", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["detail"] == BODY_TOO_LARGE
    assert rasa.received == []


def test_bad_frames_get_an_error_frame_and_the_socket_lives(client, rasa):
    with client.websocket_connect("/ws/chat") as ws:
        ws.receive_json()
        ws.send_bytes(b"\x00\x01binary")
        assert ws.receive_json() == {"type": "error", "text": TEXT_FRAMES_ONLY}
        ws.send_text("[" * 100_000 + "]" * 100_000)  # oversized and nested
        assert ws.receive_json() == {"type": "error", "text": FRAME_TOO_LARGE}
        ws.send_text('{"type": "message", "text": ' + "[" * 20_000 + "]" * 20_000 + "}")  # nested beyond recursion
        assert ws.receive_json() == {"type": "error", "text": UNREADABLE}
        ws.send_json({"type": "message", "text": {"a": {"b": {"c": {"d": {"e": 1}}}}}})
        assert ws.receive_json() == {"type": "error", "text": UNREADABLE}
        ws.send_json({"type": "message", "id": "x" * 65, "text": "zu lange id"})
        assert ws.receive_json() == {"type": "error", "text": UNREADABLE}
        ws.send_json({"type": "message", "id": "ok", "text": "Hallo"})
        frames = [ws.receive_json() for _ in range(4)]
    assert frames[2]["type"] == "bot" and frames[2]["messages"][0]["text"] == "Echo: Hallo"
    assert rasa.texts() == ["Hallo"]


def test_websockets_are_bounded_per_client_and_overall(client):
    other = TestClient(client.app, client=("192.0.2.10", 1))
    with client.websocket_connect("/ws/chat") as first, client.websocket_connect("/ws/chat") as second:
        assert first.receive_json()["type"] == second.receive_json()["type"] == "session"
        with client.websocket_connect("/ws/chat") as third:  # a third from the same client
            refused = third.receive_json()
            assert refused["type"] == "error" and "zu viele Chat-Fenster" in refused["text"]
            with pytest.raises(WebSocketDisconnect):
                third.receive_json()
        with other.websocket_connect("/ws/chat") as elsewhere:
            assert elsewhere.receive_json()["type"] == "session"  # the gateway's third and last
            with other.websocket_connect("/ws/chat") as over:
                assert over.receive_json()["type"] == "error"
    with client.websocket_connect("/ws/chat") as again:  # closed sockets give their slots back
        assert again.receive_json()["type"] == "session"
