"""The handoff through the real gateway app in process: citizen web socket, staff console socket
and REST routes, a real SQLite staff database, Rasa replaced by the fake REST channel."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, WebSocketDisconnect
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.gateway.handoff import texts
from bot.staff import handoff as store
from bot.staff.accounts import add_user
from bot.staff.teams import BERLIN
from tests.bot.gateway.routes.staff.conftest import PASSWORDS, settings_for
from tests.fakes.rasa import FakeRasa

OFFER = [
    {"recipient_id": "x", "text": "Gern verbinde ich Sie mit einer Mitarbeiterin oder einem Mitarbeiter."},
    {"recipient_id": "x", "custom": {"handoff_offer": {"reason": "human_handoff", "service": None}}},
]
# Thursday 3 December 2026, 10:00 in Berlin: the Bürgerservice team chats (08:00–18:00).
OPEN = datetime(2026, 12, 3, 10, 0, tzinfo=BERLIN).timestamp()
# Saturday 5 December 2026, 22:00: closed.
CLOSED_HOURS = datetime(2026, 12, 5, 22, 0, tzinfo=BERLIN).timestamp()
AGENT_PASSWORD = "Agent-Passwort-2026"


def reply(sender: str, text: str) -> list[dict[str, Any]]:
    if "Mensch" in text:
        return OFFER
    return [{"recipient_id": sender, "text": f"Bot: {text}"}]


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa(reply=reply)


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN)


@pytest.fixture
def client(tmp_path: Path, rasa: FakeRasa, clock: Clock) -> Iterator[TestClient]:
    """One client for citizen and staff: everything runs on the one event loop of its portal, as
    in the gateway process (separate TestClients would each bring their own loop)."""
    settings = settings_for(tmp_path, rate_limit_per_minute=1000, handoff_agent_grace_seconds=30)
    application = create_app(settings, rasa_transport=rasa.transport, clock=clock)
    engine = application.state.staff.staff
    add_user(engine, "agent", AGENT_PASSWORD, "agent")
    add_user(engine, "agent2", AGENT_PASSWORD, "agent")
    add_user(engine, "reviewer", PASSWORDS["reviewer"], "reviewer")
    with TestClient(application) as test_client:
        yield test_client


@pytest.fixture
def app(client: TestClient) -> FastAPI:
    application: FastAPI = client.app  # type: ignore[assignment]
    return application


def staff_client(client: TestClient, name: str, password: str = AGENT_PASSWORD) -> TestClient:
    """`client`, logged in as `name` (its cookie and CSRF header replace any earlier login)."""
    client.cookies.clear()
    csrf = client.get("/staff/api/csrf").json()["csrf"]
    response = client.post(
        "/staff/api/login", json={"name": name, "password": password}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf"]
    return client


_unread: dict[int, list[dict[str, Any]]] = {}


def until(ws: Any, match: Callable[[dict[str, Any]], bool], limit: int = 30) -> dict[str, Any]:
    """The first frame not yet taken that matches; frames passed over stay for later calls (the
    order of frames from different tasks is not fixed)."""
    buffer = _unread.setdefault(id(ws), [])
    for index, frame in enumerate(buffer):
        if match(frame):
            return buffer.pop(index)
    for _ in range(limit):
        frame = ws.receive_json()
        if match(frame):
            return frame
        buffer.append(frame)
    raise AssertionError(f"no matching frame in {buffer}")


@pytest.fixture(autouse=True)
def _fresh_buffers() -> Iterator[None]:
    yield
    _unread.clear()


def bot_frame(ws: Any) -> dict[str, Any]:
    return until(ws, lambda f: f["type"] == "bot")


def push_text(frame: dict[str, Any]) -> str:
    return " ".join(m["text"] for m in frame["messages"])


def ask_for_person(citizen: Any) -> dict[str, Any]:
    citizen.send_json({"type": "message", "id": "m1", "text": "Ich möchte mit einem Menschen sprechen"})
    return bot_frame(citizen)


def start_handoff(citizen: Any) -> dict[str, Any]:
    offer = ask_for_person(citizen)
    payloads = [b["payload"] for m in offer["messages"] for b in m["buttons"]]
    assert texts.START in payloads, offer
    citizen.send_json({"type": "button", "id": "m2", "payload": texts.START, "title": "Ja"})
    return bot_frame(citizen)


ORIGIN = {"origin": "http://testserver"}


def test_a_person_takes_over_and_hands_back(client: TestClient, app: FastAPI, rasa: FakeRasa):
    agent = staff_client(client, "agent")
    with (
        agent.websocket_connect("/staff/ws/live", headers=ORIGIN) as console,
        client.websocket_connect("/ws/chat") as citizen,
    ):
        until(console, lambda f: f["type"] == "queue")
        session = until(citizen, lambda f: f["type"] == "session")["session"]
        queued = start_handoff(citizen)
        assert "Warteschlange" in push_text(queued)
        assert until(citizen, lambda f: f["type"] == "queue")["position"] == 1
        frame = until(console, lambda f: f["type"] == "queue" and f["teams"][0]["queue"])
        item = frame["teams"][0]["queue"][0]
        assert item["reason"] == "human_handoff" and item["channel"] == "web"

        assert agent.post(f"/staff/api/handoffs/{item['id']}/take").status_code == 200
        notice = until(citizen, lambda f: f["type"] == "push")
        assert notice["role"] == "system" and "Team Bürgerservice" in push_text(notice)
        assert until(citizen, lambda f: f["type"] == "queue")["position"] is None

        sent_to_rasa = len(rasa.received)
        citizen.send_json({"type": "message", "id": "m3", "text": "Mein Ausweis ist weg, was nun?"})
        silent = bot_frame(citizen)
        assert silent["messages"] == [] and silent["rateable"] is False  # the bot is silent
        line = until(console, lambda f: f["type"] == "message" and f["line"]["author_kind"] == "citizen")["line"]
        assert "Ausweis" in line["text"]

        citizen.send_json({"type": "typing", "on": True})
        assert until(console, lambda f: f["type"] == "typing")["on"] is True

        answer = agent.post(
            f"/staff/api/handoffs/{item['id']}/messages", json={"text": "Ich helfe Ihnen gern.", "client_id": "c1"}
        )
        assert answer.status_code == 200
        pushed = until(citizen, lambda f: f["type"] == "push")
        assert pushed["role"] == "agent" and pushed["seq"] == answer.json()["seq"]
        assert answer.json()["author"] == "Team Bürgerservice"  # what the console shows as the author
        assert push_text(pushed) == "Ich helfe Ihnen gern." and pushed["author"] == "Team Bürgerservice"
        assert len(rasa.received) == sent_to_rasa  # nothing reached Rasa during the handoff

        assert agent.post(f"/staff/api/handoffs/{item['id']}/handback").status_code == 200
        assert push_text(until(citizen, lambda f: f["type"] == "push")) == texts.HANDED_BACK
        citizen.send_json({"type": "message", "id": "m4", "text": "Danke, und die Gebühren?"})
        back = bot_frame(citizen)
        assert push_text(back) == "Bot: Danke, und die Gebühren?" and back["rateable"] is True

    sender = "web:" + session.split(".")[0]
    logged = rasa.appended[sender]
    assert any(e["event"] == "user" and "Ausweis" in e["text"] for e in logged)
    assert any(e["event"] == "bot" and e["metadata"]["author"] == "agent" for e in logged)


def test_pushes_missed_while_offline_are_replayed_once(client: TestClient, app: FastAPI):
    agent = staff_client(client, "agent")
    with agent.websocket_connect("/staff/ws/live", headers=ORIGIN):
        with client.websocket_connect("/ws/chat") as citizen:
            session = until(citizen, lambda f: f["type"] == "session")["session"]
            start_handoff(citizen)
        handoff_id = agent.get("/staff/api/handoffs").json()["teams"][0]["queue"][0]["id"]
        agent.post(f"/staff/api/handoffs/{handoff_id}/take")
        first = agent.post(f"/staff/api/handoffs/{handoff_id}/messages", json={"text": "Sind Sie noch da?"}).json()
        with client.websocket_connect(f"/ws/chat?session={session}&since=0") as citizen:
            replayed = [until(citizen, lambda f: f["type"] == "push") for _ in range(2)]
            assert push_text(replayed[-1]) == "Sind Sie noch da?" and replayed[-1]["seq"] == first["seq"]
        with client.websocket_connect(f"/ws/chat?session={session}&since={first['seq']}") as citizen:
            agent.post(f"/staff/api/handoffs/{handoff_id}/messages", json={"text": "Zweite Nachricht"})
            assert push_text(until(citizen, lambda f: f["type"] == "push")) == "Zweite Nachricht"


def test_a_second_agent_cannot_take_or_answer_a_taken_conversation(client: TestClient):
    agent = staff_client(client, "agent")
    with agent.websocket_connect("/staff/ws/live", headers=ORIGIN), client.websocket_connect("/ws/chat") as citizen:
        start_handoff(citizen)
        handoff_id = agent.get("/staff/api/handoffs").json()["teams"][0]["queue"][0]["id"]
        assert agent.post(f"/staff/api/handoffs/{handoff_id}/take").status_code == 200
        second = staff_client(client, "agent2")
        taken = second.post(f"/staff/api/handoffs/{handoff_id}/take")
        assert taken.status_code == 409 and "bereits" in taken.json()["detail"]
        refused = second.post(f"/staff/api/handoffs/{handoff_id}/messages", json={"text": "Hallo"})
        assert refused.status_code == 409 and "andere Person" in refused.json()["detail"]


def test_leaving_the_queue_lets_the_bot_answer_again(client: TestClient, app: FastAPI, rasa: FakeRasa):
    agent = staff_client(client, "agent")
    with agent.websocket_connect("/staff/ws/live", headers=ORIGIN), client.websocket_connect("/ws/chat") as citizen:
        start_handoff(citizen)
        citizen.send_json({"type": "button", "id": "m3", "payload": texts.LEAVE, "title": "Warteschlange verlassen"})
        assert push_text(bot_frame(citizen)) == texts.LEFT
        assert agent.get("/staff/api/handoffs").json()["teams"][0]["queue"] == []
        citizen.send_json({"type": "message", "id": "m4", "text": "Öffnungszeiten?"})
        assert push_text(bot_frame(citizen)) == "Bot: Öffnungszeiten?"


def test_nobody_online_offers_a_callback(client: TestClient, app: FastAPI):
    with client.websocket_connect("/ws/chat") as citizen:
        offer = ask_for_person(citizen)
        text = push_text(offer)
        assert "niemand" in text and "Rückruf" in text
        assert [b["payload"] for m in offer["messages"] for b in m["buttons"]] == [texts.CALLBACK, texts.DECLINE]


def test_callback_outside_service_hours_with_invalid_then_valid_contact(client: TestClient, app: FastAPI, clock: Clock):
    clock.at = CLOSED_HOURS
    agent = staff_client(client, "agent")
    with agent.websocket_connect("/staff/ws/live", headers=ORIGIN), client.websocket_connect("/ws/chat") as citizen:
        offer = ask_for_person(citizen)
        assert "nicht besetzt" in push_text(offer) and "Montag" in push_text(offer)
        citizen.send_json({"type": "button", "id": "b1", "payload": texts.CALLBACK, "title": "Rückruf anfordern"})
        assert "Wie heißen Sie?" in push_text(bot_frame(citizen))
        for i, text in enumerate(["Erika Müller-Lüdenscheidt", "weiß nicht"]):
            citizen.send_json({"type": "message", "id": f"c{i}", "text": text})
        asked_again = push_text(bot_frame(citizen)) + push_text(bot_frame(citizen))
        assert asked_again.count("Telefonnummer oder E-Mail-Adresse") >= 2
        for i, text in enumerate(["0171 1234567", "Mein Antrag auf Wohngeld", "vormittags"]):
            citizen.send_json({"type": "message", "id": f"d{i}", "text": text})
            done = bot_frame(citizen)
        reference = json.dumps(done)
        assert "RR-" in reference
    listing = agent.get("/staff/api/callbacks?status=open").json()
    assert [(r["name"], r["contact"], r["preferred_time"]) for r in listing] == [
        ("Erika Müller-Lüdenscheidt", "+491711234567", "vormittags")
    ]
    assert agent.post(f"/staff/api/callbacks/{listing[0]['id']}/assign").json()["assignee"] == "agent"
    assert agent.post(f"/staff/api/callbacks/{listing[0]['id']}/done").json()["status"] == "done"


def test_agent_gone_past_the_grace_period_returns_the_conversation(client: TestClient, app: FastAPI, clock: Clock):
    agent = staff_client(client, "agent")
    with client.websocket_connect("/ws/chat") as citizen:
        with agent.websocket_connect("/staff/ws/live", headers=ORIGIN):
            start_handoff(citizen)
            handoff_id = agent.get("/staff/api/handoffs").json()["teams"][0]["queue"][0]["id"]
            agent.post(f"/staff/api/handoffs/{handoff_id}/take")
            until(citizen, lambda f: f["type"] == "push")
        desk = app.state.desk
        clock.at += 10
        client.portal.call(desk.tick)  # within the grace period: still assigned
        assert store.get(app.state.staff.staff, handoff_id).state == "assigned"
        clock.at += 60
        client.portal.call(desk.tick)
        notice = until(citizen, lambda f: f["type"] == "push")
        assert "nicht mehr verbunden" in push_text(notice)
        assert until(citizen, lambda f: f["type"] == "queue")["position"] == 1
        assert store.get(app.state.staff.staff, handoff_id).state == "queued"


def test_close_asks_for_a_rating(client: TestClient, app: FastAPI):
    agent = staff_client(client, "agent")
    with agent.websocket_connect("/staff/ws/live", headers=ORIGIN), client.websocket_connect("/ws/chat") as citizen:
        start_handoff(citizen)
        handoff_id = agent.get("/staff/api/handoffs").json()["teams"][0]["queue"][0]["id"]
        agent.post(f"/staff/api/handoffs/{handoff_id}/take")
        agent.post(f"/staff/api/handoffs/{handoff_id}/close")
        closing = until(citizen, lambda f: f["type"] == "push" and "beendet" in push_text(f))
        payload = closing["messages"][0]["buttons"][0]["payload"]
        citizen.send_json({"type": "button", "id": "r1", "payload": payload, "title": "👍 Hilfreich"})
        assert push_text(bot_frame(citizen)) == texts.RATED


def test_reviewers_and_foreign_pages_get_no_live_chat(client: TestClient, app: FastAPI):
    reviewer = staff_client(client, "reviewer", PASSWORDS["reviewer"])
    assert reviewer.get("/staff/api/handoffs").status_code == 403
    with pytest.raises(WebSocketDisconnect) as refused, reviewer.websocket_connect("/staff/ws/live", headers=ORIGIN):
        pass
    assert refused.value.code == 1008
    agent = staff_client(client, "agent")
    for headers in ({"origin": "http://evil.example"}, {}):
        with pytest.raises(WebSocketDisconnect), agent.websocket_connect("/staff/ws/live", headers=headers):
            pass
    client.cookies.clear()
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/staff/ws/live", headers=ORIGIN):
        pass


def test_a_new_conversation_gives_the_place_in_the_queue_back(client: TestClient, app: FastAPI):
    agent = staff_client(client, "agent")
    with agent.websocket_connect("/staff/ws/live", headers=ORIGIN), client.websocket_connect("/ws/chat") as citizen:
        session = until(citizen, lambda f: f["type"] == "session")["session"]
        start_handoff(citizen)
        client.portal.call(app.state.chat.restart, "web:" + session.split(".")[0])
        assert agent.get("/staff/api/handoffs").json()["teams"][0]["queue"] == []


def test_no_live_chat_where_no_reply_could_reach_the_citizen(client: TestClient, app: FastAPI):
    agent = staff_client(client, "agent")
    with agent.websocket_connect("/staff/ws/live", headers=ORIGIN):
        answer = client.portal.call(app.state.desk.offer, "api:key:someone", {"reason": "human_handoff"})
    assert texts.NO_LIVE_CHAT_HERE in answer[0].text and answer[0].buttons[0].payload == texts.CALLBACK
