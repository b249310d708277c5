"""Human handoff over Telegram on the real stack: the fake Bot API on loopback → a gateway process
→ Rasa (the trained model) → actions → backend, and a staff member at the console (REST and the
WebSocket /staff/ws/live) answering the citizen in the bot's place (docs/handoff.md).

Also the harness the real-process handoff tests share (tests/test_handoff_restart.py): a gateway of
its own in front of the session's stack, with a staff database of its own (another gateway's desk
would count our agent as gone and take the conversation back into the queue) and a teams file whose
only team chats around the clock; a staff login over HTTP; WebSocket clients on a thread of their own.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import websockets
import yaml

from bot.gateway.handoff import texts
from bot.infra.holiday_calendar import closed_days
from bot.launcher.processes import Stack
from bot.staff.accounts import add_user
from bot.staff.tables import connect
from bot.staff.teams import BERLIN, load_teams
from tests.channels import test_telegram
from tests.channels.test_telegram import SECRET, post
from tests.conftest import free_port
from tests.fakes.telegram_api import FakeTelegramAPI, button_press, text_message
from tests.support import eventually

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

AGENT = "agentin"
AGENT_PASSWORD = "Agentin-Passwort-2026"
TEAM = "Bürgerservice"
AUTHOR = f"Team {TEAM}"  # what citizens see of the agent (BUERGERBOT_HANDOFF_SHOW_AGENT_NAMES is off)
ASK_FOR_A_PERSON = "Ich möchte mit einem Menschen sprechen"
START_BUTTON = "Ja, mit einem Menschen chatten"
Frame = dict[str, Any]


# ---------------------------------------------------------------------------------- harness
def open_teams_file(directory: Path) -> Path:
    """One team, Bürgerservice, chatting every day from 00:00 to 23:59 (CI may run at night or at
    weekends); skips the test when it is closed anyway (a public holiday, the last minute of the day)."""
    path = directory / "teams.yml"
    always = {day: ["00:00-23:59"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    team = {"id": "buergerservice", "name": TEAM, "federal_state": "NW", "hours": always}
    path.write_text(yaml.safe_dump({"teams": [{**team, "reasons": ["human_handoff", "not_understood"]}]}))
    now = datetime.now(BERLIN)
    if not load_teams(path).default.state(now).open_now:
        holiday = closed_days("NW", now.date()).get(now.date())
        pytest.skip(f"the live chat is closed now: {holiday or 'the last minute of the day'} (Europe/Berlin)")
    return path


def handoff_gateway(full_stack: Stack, directory: Path, **env: str) -> Stack:
    """A gateway (not started) on a free port in front of `full_stack`'s Rasa, with its own staff
    database holding the agent `AGENT`, and the open teams file; `env` adds or overrides settings."""
    staff_db = f"sqlite:///{directory / 'staff.db'}"
    engine = connect(staff_db)
    add_user(engine, AGENT, AGENT_PASSWORD, "agent")
    engine.dispose()
    return Stack(
        replace(full_stack.ports, gateway=free_port()),
        full_stack.model,
        log_dir=directory / "logs",
        env={
            **full_stack.env,
            "BUERGERBOT_RASA_TOKEN": full_stack.rasa_token,  # the same Rasa server
            "BUERGERBOT_STAFF_DATABASE_URL": staff_db,
            "BUERGERBOT_HANDOFF_TEAMS_FILE": str(open_teams_file(directory)),
            **env,
        },
    )


@contextmanager
def started(gateway: Stack) -> Iterator[Stack]:
    """`gateway` running until the end of the block."""
    gateway.start(("gateway",))
    try:
        gateway.wait_ready(timeout=60)
        yield gateway
    finally:
        gateway.stop()


def staff_db(gateway: Stack) -> sa.engine.Engine:
    return sa.create_engine(gateway.env["BUERGERBOT_STAFF_DATABASE_URL"])


def ws_url(gateway: Stack, path: str) -> str:
    return gateway.gateway_url.replace("http://", "ws://") + path


def staff_login(gateway: Stack) -> httpx.Client:
    """A client signed in as the agent (session cookie bb_staff), sending the CSRF header."""
    client = httpx.Client(base_url=gateway.gateway_url, timeout=30)
    csrf = client.get("/staff/api/csrf").json()["csrf"]
    response = client.post(
        "/staff/api/login", json={"name": AGENT, "password": AGENT_PASSWORD}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf"]
    return client


class LiveSocket:
    """A WebSocket client on its own thread and event loop, so a test can hold a citizen's and a
    console's socket open while it makes blocking HTTP calls. Every frame received is kept in order;
    `next` waits for the first one not yet taken that matches."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.frames: list[Frame] = []
        self._taken: set[int] = set()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="live-socket", daemon=True)
        self._thread.start()
        try:
            self._ws = self._run(self._connect(url, headers or {}))
        except BaseException:
            self._stop_loop()
            raise
        self._reader = asyncio.run_coroutine_threadsafe(self._read(), self._loop)

    @staticmethod
    async def _connect(url: str, headers: dict[str, str]) -> Any:
        return await websockets.connect(url, extra_headers=headers, open_timeout=15)

    def _run(self, coroutine: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _read(self) -> None:
        with suppress(websockets.ConnectionClosed):
            async for raw in self._ws:
                with self._lock:
                    self.frames.append(json.loads(raw))

    @property
    def closed(self) -> bool:
        return self._reader.done()

    def send(self, frame: Frame) -> None:
        self._run(self._ws.send(json.dumps(frame)))

    def next(self, match: Callable[[Frame], bool], what: str, timeout: float = 30, after: Frame | None = None) -> Frame:
        """The first frame not yet taken that matches (and came later than the frame `after`)."""

        def found() -> Frame | None:
            with self._lock:
                start = next((i + 1 for i, f in enumerate(self.frames) if f is after), 0) if after else 0
                for index in range(start, len(self.frames)):
                    if index not in self._taken and match(self.frames[index]):
                        self._taken.add(index)
                        return self.frames[index]
            return None

        frame: Frame = eventually(found, timeout=timeout, what=what)
        return frame

    def received(self, match: Callable[[Frame], bool]) -> list[Frame]:
        with self._lock:
            return [frame for frame in self.frames if match(frame)]

    def close(self) -> None:
        if self._loop.is_closed():
            return
        with suppress(Exception):
            self._run(self._ws.close(), timeout=10)
        with suppress(Exception):
            self._reader.result(10)
        self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> LiveSocket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def console(gateway: Stack, agent: httpx.Client) -> LiveSocket:
    """The agent's console socket (the agent counts as online while it is open), once it has the
    first queue frame."""
    cookie = agent.cookies.get("bb_staff")
    assert cookie, "no session cookie after the login"
    socket = LiveSocket(
        ws_url(gateway, "/staff/ws/live"), {"Cookie": f"bb_staff={cookie}", "Origin": gateway.gateway_url}
    )
    socket.next(lambda f: f["type"] == "queue", "the console's first queue frame")
    return socket


def queued_handoff(agent: httpx.Client, channel: str) -> Frame:
    """The one conversation waiting in the team's queue (GET /staff/api/handoffs)."""

    def waiting() -> Frame:
        listing = agent.get("/staff/api/handoffs")
        assert listing.status_code == 200, listing.text
        queue = listing.json()["teams"][0]["queue"]
        assert len(queue) == 1, queue
        return dict(queue[0])

    item = eventually(waiting, timeout=15, what="one conversation in the queue")
    assert item["channel"] == channel and item["reason"] == "human_handoff", item
    return item


def citizen_line(text: str) -> Callable[[Frame], bool]:
    """A console frame with the citizen's message `text`."""
    return lambda f: f["type"] == "message" and f["line"]["author_kind"] == "citizen" and f["line"]["text"] == text


# ---------------------------------------------------------------------------------- Telegram
_updates = itertools.count(1)


telegram_api = test_telegram.telegram_api  # the fake Bot API on loopback, one per module


@pytest.fixture(scope="module")
def gateway(
    full_stack: Stack, telegram_api: FakeTelegramAPI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    stack = handoff_gateway(
        full_stack,
        tmp_path_factory.mktemp("handoff-telegram"),
        TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN",
        BUERGERBOT_TELEGRAM_API_BASE_URL=telegram_api.base_url,
        BUERGERBOT_TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    with started(stack):
        yield stack


def write(gateway: Stack, chat_id: int, text: str) -> None:
    assert post(gateway, text_message(next(_updates), chat_id, text)).status_code == 200


def press(gateway: Stack, chat_id: int, callback_data: str) -> None:
    assert post(gateway, button_press(next(_updates), chat_id, callback_data)).status_code == 200


def buttons(message: Frame) -> dict[str, str]:
    """An inline keyboard as title → callback data."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def message_with(api: FakeTelegramAPI, chat_id: int, part: str, timeout: float = 30) -> Frame:
    """The first message to `chat_id` whose text contains `part`."""

    def sent() -> Frame | None:
        return next((m for m in api.sent() if int(m["chat_id"]) == chat_id and part in m["text"]), None)

    message: Frame = eventually(sent, timeout=timeout, what=f"a message to {chat_id} with {part!r}")
    return message


def to_chat(api: FakeTelegramAPI, chat_id: int, method: str = "sendMessage") -> list[Frame]:
    return [p for p in api.sent(method) if int(p["chat_id"]) == chat_id]


def stored_user_messages(full_stack: Stack, sender: str) -> list[tuple[str, str | None]]:
    """The user events Rasa's tracker store holds for `sender` (read from the SQLite file itself):
    the text and who wrote it (`metadata.author` of a handoff's messages)."""
    with closing(sqlite3.connect(full_stack.tracker_db)) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    events = [json.loads(data) for (data,) in rows]
    return [(e.get("text"), (e.get("metadata") or {}).get("author")) for e in events]


def start_handoff(gateway: Stack, api: FakeTelegramAPI, agent: httpx.Client, chat_id: int) -> Frame:
    """The citizen asks for a person and presses the offer's button; the agent takes the conversation."""
    # Rasa recognises the wish; the gateway offers a chat, since the team is open and someone is online.
    write(gateway, chat_id, ASK_FOR_A_PERSON)
    offer = message_with(api, chat_id, "Möchten Sie mit einer Mitarbeiterin oder einem Mitarbeiter")
    assert START_BUTTON in buttons(offer), offer
    press(gateway, chat_id, buttons(offer)[START_BUTTON])
    assert "Warteschlange verlassen" in buttons(message_with(api, chat_id, "in der Warteschlange"))
    message_with(api, chat_id, "Sie sind als Nächstes an der Reihe.")  # the queue position
    item = queued_handoff(agent, "telegram")
    taken = agent.post(f"/staff/api/handoffs/{item['id']}/take")
    assert taken.status_code == 200, taken.text
    assert taken.json()["state"] == "assigned" and taken.json()["agent"] == AGENT
    notice = message_with(api, chat_id, f"Sie chatten jetzt mit: {AUTHOR}.")
    assert notice["text"].endswith("Der Bürgerbot antwortet so lange nicht.")
    return item


def test_a_telegram_chat_is_answered_by_a_person_and_handed_back(
    full_stack: Stack, gateway: Stack, telegram_api: FakeTelegramAPI
):
    chat_id = 960_000 + next(_updates)
    with closing(staff_login(gateway)) as agent, console(gateway, agent) as live:
        item = start_handoff(gateway, telegram_api, agent, chat_id)
        live.next(lambda f: f["type"] == "queue" and f["mine"], "the conversation under the agent's own")
        answered = len(to_chat(telegram_api, chat_id))

        # The citizen's next message goes to the person, not to Rasa.
        question = "Mein Personalausweis ist gestern abgelaufen, was soll ich tun?"
        write(gateway, chat_id, question)
        line = live.next(citizen_line(question), "the citizen's message on the console")["line"]
        assert line["seq"] > 0
        # Updates of one chat are handled in order: once the second message reached the console, the
        # first one's handling is over, and neither got an answer of the bot.
        write(gateway, chat_id, "Hallo?")
        live.next(citizen_line("Hallo?"), "the second message on the console")
        stored = [text for text, _ in stored_user_messages(full_stack, f"telegram:{chat_id}")]
        assert ASK_FOR_A_PERSON in stored and question not in stored  # Rasa never saw it

        # The person typing shows as Telegram's chat action (counted once the citizen's own messages,
        # which send one before they are handled, reached the console).
        actions = len(to_chat(telegram_api, chat_id, "sendChatAction"))
        live.send({"type": "typing", "handoff": item["id"], "on": True})
        eventually(
            lambda: len(to_chat(telegram_api, chat_id, "sendChatAction")) > actions, what="sendChatAction for typing"
        )
        assert to_chat(telegram_api, chat_id, "sendChatAction")[-1]["action"] == "typing"

        reply = agent.post(
            f"/staff/api/handoffs/{item['id']}/messages",
            json={"text": "Guten Tag, ich helfe Ihnen gern. Haben Sie einen Reisepass?", "client_id": "r1"},
        )
        assert reply.status_code == 200, reply.text
        pushed = message_with(telegram_api, chat_id, "ich helfe Ihnen gern")
        assert pushed["text"] == f"{AUTHOR}:\nGuten Tag, ich helfe Ihnen gern. Haben Sie einen Reisepass?"
        assert to_chat(telegram_api, chat_id)[answered:] == [pushed]  # nothing from the bot in between

        handed_back = agent.post(f"/staff/api/handoffs/{item['id']}/handback")
        assert handed_back.status_code == 200 and handed_back.json()["state"] == "returned", handed_back.text
        message_with(telegram_api, chat_id, texts.HANDED_BACK)
        live.next(lambda f: f["type"] == "ended" and f["handoff"] == item["id"], "the ended frame")
        assert agent.get("/staff/api/handoffs").json()["mine"] == []

        # The bot answers again.
        write(gateway, chat_id, "Was kostet ein Reisepass?")
        assert message_with(telegram_api, chat_id, "Gebühr für Reisepass")["text"].startswith("Gebühr für Reisepass")


def test_the_persons_conversation_is_appended_to_the_tracker_store(
    full_stack: Stack, gateway: Stack, telegram_api: FakeTelegramAPI
):
    chat_id = 960_000 + next(_updates)
    with closing(staff_login(gateway)) as agent, console(gateway, agent) as live:
        item = start_handoff(gateway, telegram_api, agent, chat_id)
        write(gateway, chat_id, "Ich brauche einen neuen Ausweis.")
        live.next(citizen_line("Ich brauche einen neuen Ausweis."), "the citizen's message on the console")
        assert agent.post(f"/staff/api/handoffs/{item['id']}/close").status_code == 200
    expected = ("Ich brauche einen neuen Ausweis.", "citizen")
    eventually(
        lambda: expected in stored_user_messages(full_stack, f"telegram:{chat_id}"),
        timeout=15,  # the desk's ticker retries every 2 s
        what="the citizen's message of the handoff in the tracker store",
    )
