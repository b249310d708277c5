"""Human handoff over the web chat's WebSocket on the real stack, when things go away: the gateway
process restarts in the middle of a handoff, and the agent's console disconnects (docs/handoff.md).

Everything that must survive lives in the staff database: the queue and the assignment, every
message with its seq (a widget that reconnects with `since` gets what it missed exactly once), the
staff sessions; a message resent with the same id is stored once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest
import sqlalchemy as sa

from bot.gateway.handoff import texts
from bot.launcher.processes import Stack
from tests.support import eventually
from tests.test_handoff_telegram import (
    AGENT,
    ASK_FOR_A_PERSON,
    START_BUTTON,
    Frame,
    LiveSocket,
    citizen_line,
    console,
    handoff_gateway,
    queued_handoff,
    staff_db,
    staff_login,
    started,
    ws_url,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

GRACE_SECONDS = 2  # the desk's ticker runs every 2 s


@pytest.fixture(scope="module")
def gateway(full_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A gateway this module may stop and start again (the default grace period of 60 s)."""
    with started(handoff_gateway(full_stack, tmp_path_factory.mktemp("handoff-restart"))) as stack:
        yield stack


@pytest.fixture(scope="module")
def short_grace_gateway(full_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = handoff_gateway(
        full_stack,
        tmp_path_factory.mktemp("handoff-grace"),
        BUERGERBOT_HANDOFF_AGENT_GRACE_SECONDS=str(GRACE_SECONDS),
    )
    with started(stack):
        yield stack


def web_citizen(gateway: Stack, query: str = "") -> tuple[LiveSocket, str]:
    """The widget's WebSocket and the session the gateway confirmed (its first frame)."""
    socket = LiveSocket(ws_url(gateway, f"/ws/chat{query}"))
    return socket, socket.next(lambda f: f["type"] == "session", "the session frame")["session"]


def answer(socket: LiveSocket, message_id: str) -> Frame:
    """The bot frame answering the citizen's frame `message_id`."""
    return socket.next(lambda f: f["type"] == "bot" and f["reply_to"] == message_id, f"the answer to {message_id}")


def text_of(frame: Frame) -> str:
    return " ".join(m["text"] for m in frame["messages"])


def is_push(frame: Frame) -> bool:
    return bool(frame["type"] == "push")


def web_queue(agent: httpx.Client, citizen: LiveSocket) -> Frame:
    """The citizen asks for a person and presses "Ja, mit einem Menschen chatten": queued."""
    citizen.send({"type": "message", "id": "m1", "text": ASK_FOR_A_PERSON})
    offer = answer(citizen, "m1")
    offered = {b["title"]: b["payload"] for m in offer["messages"] for b in m["buttons"]}
    assert offered.get(START_BUTTON) == texts.START, offer
    citizen.send({"type": "button", "id": "m2", "payload": texts.START, "title": START_BUTTON})
    assert "Warteschlange" in text_of(answer(citizen, "m2"))
    citizen.next(lambda f: f["type"] == "queue" and f["position"] == 1, "queue position 1")
    return queued_handoff(agent, "web")


def web_handoff(agent: httpx.Client, citizen: LiveSocket) -> Frame:
    """Queued, and the agent takes it."""
    item = web_queue(agent, citizen)
    taken = agent.post(f"/staff/api/handoffs/{item['id']}/take")
    assert taken.status_code == 200, taken.text
    notice = citizen.next(is_push, "the notice that a person took over")
    assert notice["role"] == "system" and "Sie chatten jetzt mit" in text_of(notice)
    citizen.next(lambda f: f["type"] == "queue" and f["position"] is None, "no longer queued")
    return item


def restart(gateway: Stack) -> None:
    gateway.stop(("gateway",))
    gateway.start(("gateway",))
    gateway.wait_ready(timeout=60)


def reply(agent: httpx.Client, handoff_id: int, text: str, client_id: str) -> int:
    response = agent.post(f"/staff/api/handoffs/{handoff_id}/messages", json={"text": text, "client_id": client_id})
    assert response.status_code == 200, response.text
    seq: int = response.json()["seq"]
    return seq


def test_a_gateway_restart_in_the_middle_of_a_handoff_loses_no_message(gateway: Stack):
    offline_text = "Ich habe inzwischen die Geburtsurkunde gefunden."
    with closing(staff_login(gateway)) as agent:
        live = console(gateway, agent)
        citizen, session = web_citizen(gateway)
        with citizen:
            item = web_handoff(agent, citizen)
            first = reply(agent, item["id"], "Einen Moment, ich sehe nach.", "a1")
            last_seen = citizen.next(lambda f: is_push(f) and f["seq"] == first, "the first reply")["seq"]
        # The citizen has gone (the widget keeps `last_seen`); the gateway goes down with the console.
        gateway.stop(("gateway",))
        eventually(lambda: live.closed, timeout=15, what="the console socket closed by the gateway")
        live.close()
        with pytest.raises(httpx.TransportError):
            agent.get("/staff/api/handoffs")
        # Meanwhile the citizen types `offline_text`: the widget keeps it in its outbox.

        gateway.start(("gateway",))
        gateway.wait_ready(timeout=60)
        # The staff session is in the database: the agent is still signed in and still holds it.
        listing = agent.get("/staff/api/handoffs")
        assert listing.status_code == 200, listing.text
        assert [(h["id"], h["state"], h["agent"]) for h in listing.json()["mine"]] == [(item["id"], "assigned", AGENT)]
        with console(gateway, agent) as live:
            second = reply(agent, item["id"], "Sind Sie noch da? Ich habe eine Antwort für Sie.", "a2")

            with LiveSocket(ws_url(gateway, f"/ws/chat?session={session}&since={last_seen}")) as again:
                assert again.next(lambda f: f["type"] == "session", "the session frame")["session"] == session
                missed = again.next(is_push, "the reply missed while offline")
                assert missed["seq"] == second and missed["role"] == "agent"
                assert text_of(missed) == "Sind Sie noch da? Ich habe eine Antwort für Sie."
                # The outbox sends the message typed while the gateway was down, with the id it had.
                again.send({"type": "message", "id": "m-offline", "text": offline_text})
                again.next(lambda f: f["type"] == "ack" and f["id"] == "m-offline", "the ack")
                assert answer(again, "m-offline")["messages"] == []  # the bot is silent
                line = live.next(citizen_line(offline_text), "the citizen's message on the new console")["line"]
                assert [p["seq"] for p in again.received(is_push)] == [second]  # exactly once, nothing older

            # Its ack was lost as well: the outbox sends it once more on the next connection.
            with LiveSocket(ws_url(gateway, f"/ws/chat?session={session}&since={second}")) as third:
                third.send({"type": "message", "id": "m-offline", "text": offline_text})
                assert answer(third, "m-offline")["messages"] == []
                assert third.received(is_push) == []
            seqs = {f["line"]["seq"] for f in live.received(citizen_line(offline_text))}
            assert seqs == {line["seq"]}  # the console shows lines by seq: once

        transcript = agent.get(f"/staff/api/handoffs/{item['id']}").json()["transcript"]
        assert [t["text"] for t in transcript].count(offline_text) == 1
        engine = staff_db(gateway)
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT COUNT(*) FROM handoff_messages WHERE handoff_id = :h AND text = :t"),
                {"h": item["id"], "t": offline_text},
            ).scalar()
        engine.dispose()
        assert stored == 1
        assert agent.post(f"/staff/api/handoffs/{item['id']}/handback").status_code == 200


def test_a_queued_citizen_keeps_the_place_and_can_leave_after_a_restart(gateway: Stack):
    with closing(staff_login(gateway)) as agent:
        with console(gateway, agent):  # someone is online: the chat is offered
            citizen, session = web_citizen(gateway)
            with citizen:
                item = web_queue(agent, citizen)
        restart(gateway)
        with LiveSocket(ws_url(gateway, f"/ws/chat?session={session}&since=0")) as again:
            again.next(
                lambda f: f["type"] == "queue" and f["position"] == 1, "the place in the queue after the restart"
            )
            # The queue line's button (no answer of this gateway process offered it).
            again.send({"type": "button", "id": "m3", "payload": texts.LEAVE, "title": "Warteschlange verlassen"})
            assert text_of(answer(again, "m3")) == texts.LEFT
            again.next(lambda f: f["type"] == "queue" and f["position"] is None, "no longer queued")
            assert agent.get("/staff/api/handoffs").json()["teams"][0]["queue"] == []
            again.send({"type": "message", "id": "m4", "text": "Was kostet ein Reisepass?"})
            assert text_of(answer(again, "m4")).startswith("Gebühr für Reisepass")  # the bot again
    engine = staff_db(gateway)
    with engine.connect() as conn:
        state = conn.execute(sa.text("SELECT state FROM handoffs WHERE id = :h"), {"h": item["id"]}).scalar()
    engine.dispose()
    assert state == "abandoned"


def test_the_citizen_is_told_and_queued_again_when_the_agent_is_gone(short_grace_gateway: Stack):
    with closing(staff_login(short_grace_gateway)) as agent:
        live = console(short_grace_gateway, agent)
        try:
            citizen, _ = web_citizen(short_grace_gateway)
            with citizen:
                item = web_handoff(agent, citizen)
                live.close()  # the agent's last console: after the grace period the conversation goes back
                gone = citizen.next(
                    lambda f: is_push(f) and "nicht mehr verbunden" in text_of(f),
                    "the notice that the person is gone",
                    timeout=GRACE_SECONDS + 20,
                )
                assert gone["role"] == "system" and "Position 1" in text_of(gone)
                assert [b["payload"] for m in gone["messages"] for b in m["buttons"]] == [texts.LEAVE]
                citizen.next(
                    lambda f: f["type"] == "queue" and f["position"] == 1, "queue position 1 again", after=gone
                )
        finally:
            live.close()
        listing = agent.get("/staff/api/handoffs").json()
        assert listing["mine"] == [] and [h["id"] for h in listing["teams"][0]["queue"]] == [item["id"]]
