"""Gateway HTTP and WebSocket behaviour with Rasa unreachable (TestClient, no network)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot.gateway.api_keys import digest
from bot.gateway.app import create_app
from bot.gateway.chat import RASA_DOWN
from bot.gateway.settings import GatewaySettings

CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port
API_KEY = "test-key-for-the-gateway-tests"
KEY = {"X-API-Key": API_KEY}


@pytest.fixture
def client(tmp_path) -> Iterator[TestClient]:
    settings = GatewaySettings(
        secret_key="test-secret",
        rasa_url=CLOSED,
        actions_url=CLOSED,
        backend_url=CLOSED,
        rate_limit_per_minute=5,
        api_rate_limit_per_minute=5,
        api_keys=digest(API_KEY),
        telegram_bot_token=None,
        data_dir=tmp_path,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_rasa_down_gets_a_friendly_german_answer(client: TestClient):
    response = client.post("/api/chat", json={"sender": "t1", "message": "Hallo"}, headers=KEY)
    assert response.status_code == 200
    assert response.json() == {"messages": [{"text": RASA_DOWN, "buttons": []}]}


def test_too_long_is_refused_in_german(client: TestClient):
    response = client.post("/api/chat", json={"sender": "t2", "message": "a" * 2001}, headers=KEY)
    assert response.status_code == 413
    assert "zu lang" in response.json()["detail"] and "2.000" in response.json()["detail"]


def test_only_control_characters_count_as_empty(client: TestClient):
    response = client.post("/api/chat", json={"sender": "t3", "message": "\x00\x07\x1b"}, headers=KEY)
    assert response.status_code == 422 and "Bitte schreiben Sie" in response.json()["detail"]


def test_rate_limit_answers_politely_per_client(client: TestClient):
    """Web chat: counted per client address, whatever the session (a new one per request changes nothing)."""

    def post(test_client: TestClient, i: int) -> int:
        return test_client.post("/api/webchat/message", json={"session": session, "text": f"Hallo {i}"}).status_code

    session = client.post("/api/webchat/message", json={"session": "", "text": "Hallo"}).json()["session"]
    codes = [post(client, i) for i in range(5)]
    assert codes == [200] * 4 + [429]
    limited = client.post("/api/webchat/message", json={"session": session, "text": "noch mal"}).json()
    assert "warten Sie einen Moment" in limited["detail"]
    other = TestClient(client.app, client=("192.0.2.7", 40000))  # another address is not affected
    assert post(other, 6) == 200


def test_api_rate_limit_counts_per_key_not_per_sender(client: TestClient):
    codes = [
        client.post("/api/chat", json={"sender": f"s{i}", "message": "Hallo"}, headers=KEY).status_code
        for i in range(6)
    ]
    assert codes == [200] * 5 + [429]


def test_bad_sender_is_a_clear_422(client: TestClient):
    response = client.post("/api/chat", json={"sender": "<script>", "message": "x"}, headers=KEY)
    assert response.status_code == 422 and "sender" in response.json()["detail"]


def test_health_reports_each_component(client: TestClient):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "degraded",
        "telegram": "off",
        "components": {"rasa": "down", "actions": "down", "backend": "down"},
    }


def test_websocket_issues_a_signed_session_and_answers(client: TestClient):
    with client.websocket_connect("/ws/chat?session=forged.123") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "session" and hello["session"] != "forged.123" and "." in hello["session"]
        ws.send_json({"type": "message", "id": "m1", "text": "Hallo"})
        frames = [ws.receive_json() for _ in range(4)]
    assert [f["type"] for f in frames] == ["typing", "ack", "bot", "typing"]  # acknowledged once handled
    assert frames[2]["reply_to"] == "m1" and frames[2]["messages"][0]["text"] == RASA_DOWN


def test_websocket_keeps_a_valid_session_and_reports_garbage(client: TestClient):
    with client.websocket_connect("/ws/chat") as ws:
        session = ws.receive_json()["session"]
    with client.websocket_connect(f"/ws/chat?session={session}") as ws:
        assert ws.receive_json()["session"] == session
        ws.send_text("kein json")
        assert ws.receive_json() == {"type": "error", "text": "Diese Nachricht konnte ich nicht lesen."}


def test_http_fallback_uses_the_same_session_rules(client: TestClient):
    first = client.post("/api/webchat/message", json={"session": "", "id": "a", "text": "Hallo"}).json()
    again = client.post("/api/webchat/message", json={"session": first["session"], "id": "b", "text": "Hi"}).json()
    assert again["session"] == first["session"] and again["reply_to"] == "b"
    too_long = client.post("/api/webchat/message", json={"session": first["session"], "id": "c", "text": "x" * 3000})
    assert too_long.status_code == 413


def test_demo_page_and_widget_are_served_with_a_strict_policy(client: TestClient):
    page = client.get("/")
    assert page.status_code == 200 and "widget.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/widget.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/widget.css").status_code == 200
    assert client.get("/demo.css").headers["content-type"].startswith("text/css")


def test_telegram_webhook_is_off_without_token(client: TestClient):
    assert client.post("/telegram/webhook", json={}).status_code == 404


def test_web_ratings_need_a_valid_session_and_a_known_value(client: TestClient):
    session = client.post("/api/webchat/message", json={"session": "", "id": "q1", "text": "Hallo"}).json()["session"]
    assert client.post("/api/webchat/rating", json={"session": session, "id": "q1", "value": -1}).json() == {"ok": True}
    assert client.post("/api/webchat/rating", json={"session": session, "id": "q1", "value": 1}).status_code == 200
    assert client.post("/api/webchat/rating", json={"session": "forged.1", "id": "q1", "value": 1}).status_code == 403
    bad = client.post("/api/webchat/rating", json={"session": session, "id": "q1", "value": 5})
    assert bad.status_code == 422 and "value" in bad.json()["detail"]
    assert client.post("/api/webchat/rating", json={"session": session, "id": "x y", "value": 1}).status_code == 422
    staff = client.app.state.staff.staff
    with staff.connect() as conn:
        rows = conn.execute(sa.text("SELECT sender_id, ref, value FROM ratings")).all()
    assert [(r.ref, r.value) for r in rows] == [("q1", 1)] and rows[0].sender_id.startswith("web:")
