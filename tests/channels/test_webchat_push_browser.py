"""The widget's side of the human handoff (docs/handoff.md, "Web chat frames") in Chromium: pushes of a
staff member, the queue position, the staff member's typing indicator, the citizen's typing frames and
the HTTP fallback's polling. The gateway's side is built separately: the widget is served here by a
small app whose test-only /ws/chat speaks the documented protocol and sends what the test queues."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse

from bot.gateway.routes.assets import router as assets_router
from channels.webchat.router import PAGE_HEADERS, STATIC_DIR
from tests.browser import axe_violations, chromium
from tests.conftest import free_port

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

SESSION = "test-session"
AUTHOR = "Frau B. (Bürgeramt)"
CLOSE = {"type": "_close"}  # queued by the test: the server closes the socket (the widget reconnects)
BOT = "#buergerbot-log .bb-msg.bb-bot"
AGENT = "#buergerbot-log .bb-msg.bb-agent"
ASSETS = {"widget.js": "text/javascript", "widget.css": "text/css", "demo.css": "text/css"}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def push(seq: int, text: str, *, role: str = "agent", author: str | None = AUTHOR, **message: Any) -> dict[str, Any]:
    """A push frame as docs/handoff.md describes it."""
    frame = {"type": "push", "seq": seq, "time": now(), "role": role, "author": author}
    return {**frame, "messages": [{"text": text, **message}]}


def asset(name: str, media_type: str) -> Callable[[], FileResponse]:
    return lambda: FileResponse(STATIC_DIR / name, media_type=media_type)


@dataclass
class Hub:
    """What the fake gateway received, and the frames the test wants it to send."""

    loop: asyncio.AbstractEventLoop | None = None
    outgoing: asyncio.Queue[dict[str, Any]] | None = None  # of the newest connection
    connects: list[dict[str, str]] = field(default_factory=list)  # query parameters of every WebSocket
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # (monotonic time, frame)
    polls: list[dict[str, str]] = field(default_factory=list)  # query parameters of GET /api/webchat/updates
    refuse: bool = False  # refuse WebSockets (the widget falls back to HTTP)
    updates: dict[str, Any] = field(default_factory=lambda: {"pushes": [], "queue": None})

    def send(self, *frames: dict[str, Any]) -> None:
        assert self.loop is not None and self.outgoing is not None, "no WebSocket yet"
        for frame in frames:
            self.loop.call_soon_threadsafe(self.outgoing.put_nowait, frame)

    def frames(self, kind: str) -> list[dict[str, Any]]:
        return [frame for _, frame in self.received if frame.get("type") == kind]

    def wait_for(self, test: Callable[[], object], timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not test():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.05)


def create_test_app(hub: Hub) -> FastAPI:
    app = FastAPI()
    app.include_router(assets_router)  # /static/shared/ui.js and tokens.css, as the gateway serves them

    @app.get("/")
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)

    for name, media_type in ASSETS.items():
        app.add_api_route(f"/{name}", asset(name, media_type))

    @app.get("/api/webchat/updates")
    def updates(session: str = "", since: int = 0) -> JSONResponse:
        hub.polls.append({"session": session, "since": str(since)})
        pushes = [p for p in hub.updates["pushes"] if p["seq"] > since]
        return JSONResponse({"pushes": pushes, "queue": hub.updates["queue"]})

    @app.websocket("/ws/chat")
    async def chat(websocket: WebSocket) -> None:
        if hub.refuse:
            await websocket.close(code=1008)
            return
        await websocket.accept()
        hub.connects.append(dict(websocket.query_params))
        outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        hub.loop, hub.outgoing = asyncio.get_running_loop(), outgoing
        await websocket.send_json({"type": "session", "session": SESSION})

        async def answer() -> None:
            while True:
                frame = await websocket.receive_json()
                hub.received.append((time.monotonic(), frame))
                if frame.get("type") in ("message", "button"):
                    await websocket.send_json({"type": "ack", "id": frame["id"]})
                    text = frame.get("text") or frame.get("title")
                    answer = {"type": "bot", "reply_to": frame["id"], "time": now()}
                    await websocket.send_json({**answer, "messages": [{"text": f"Echo: {text}"}]})

        async def forward() -> None:
            while (frame := await outgoing.get()) != CLOSE:
                await websocket.send_json(frame)
            await websocket.close(code=1012)

        tasks = [asyncio.create_task(answer()), asyncio.create_task(forward())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        except WebSocketDisconnect:
            pass
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    return app


@pytest.fixture
def hub() -> Hub:
    return Hub()


@pytest.fixture
def server_url(hub: Hub) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_test_app(hub), host="127.0.0.1", port=port, ws="wsproto", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, server_url: str, hub: Hub):
    context = browser.new_context(base_url=server_url, locale="de-DE")  # the page's real CSP
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/")
    connected(page, hub, 1)
    yield page
    context.close()
    assert errors == [], errors


def connected(page, hub: Hub, count: int) -> None:
    """Waits for the count-th WebSocket and the widget's "Verbunden"."""
    hub.wait_for(lambda: len(hub.connects) >= count, timeout=15)
    page.wait_for_function("() => document.querySelector('#buergerbot-status').dataset.state === 'online'")


def test_a_push_is_shown_with_its_author_and_not_again_when_replayed(page, hub: Hub):
    page.focus("#buergerbot-input")  # the citizen is about to type
    hub.send(push(12, "Guten Tag, ich helfe Ihnen gern.", buttons=[{"title": "Danke", "payload": "/danke"}]))
    message = page.locator(AGENT, has_text="Guten Tag, ich helfe Ihnen gern.")
    message.wait_for()
    assert message.locator(".bb-author").is_visible()  # visible, before the text; "Name: text" for screen readers
    assert message.locator(".bb-author").text_content() == f"{AUTHOR}: "
    assert message.locator(".bb-bubble").inner_text().index(AUTHOR) == 0
    assert page.evaluate("document.activeElement.id") == "buergerbot-input"  # the push takes no focus
    assert page.evaluate("localStorage.getItem('buergerbot.seq')") == "12"
    hub.send(push(13, "Frau B. hat das Gespräch beendet.", role="system", author=None))
    page.locator("#buergerbot-log .bb-system", has_text="beendet").wait_for()

    message.locator(".bb-quick-reply", has_text="Danke").click()  # buttons work as for the bot's answers
    page.locator(BOT, has_text="Echo: Danke").wait_for()
    assert hub.frames("button")[-1]["payload"] == "/danke"

    hub.send(CLOSE)  # the connection drops: the widget reconnects with the highest seq shown
    connected(page, hub, 2)
    assert hub.connects[-1] == {"session": SESSION, "since": "13"}
    hub.send(push(12, "Guten Tag, ich helfe Ihnen gern."), push(13, "Frau B. hat das Gespräch beendet.", role="system"))
    hub.send(push(14, "Noch eine Frage?"))  # the gateway's replay, then something new
    page.locator(AGENT, has_text="Noch eine Frage?").wait_for()
    assert page.locator(AGENT, has_text="Guten Tag").count() == 1
    assert page.locator("#buergerbot-log .bb-system", has_text="beendet").count() == 1

    page.reload()  # kept in the saved history, system notice included, and not duplicated by the replay
    connected(page, hub, 3)
    assert hub.connects[-1]["since"] == "14"
    hub.send(push(14, "Noch eine Frage?"))
    page.locator(AGENT, has_text="Noch eine Frage?").wait_for()
    page.wait_for_timeout(300)
    assert page.locator(AGENT, has_text="Noch eine Frage?").count() == 1
    assert page.locator(AGENT, has_text="Guten Tag").locator(".bb-author").text_content() == f"{AUTHOR}: "
    assert page.locator("#buergerbot-log .bb-system", has_text="beendet").count() == 1

    page.click("#buergerbot-new")  # a new conversation starts from seq 0
    assert page.evaluate("localStorage.getItem('buergerbot.seq')") is None
    connected(page, hub, 4)
    assert hub.connects[-1]["since"] == "0"


def test_queue_position_is_shown_and_the_citizen_can_leave(page, hub: Hub):
    page.focus("#buergerbot-input")
    hub.send({"type": "queue", "position": 2, "wait_minutes": 6})
    queue = page.locator("#buergerbot-queue")
    queue.wait_for()
    page.locator("#buergerbot-queue-position", has_text="Sie sind an Position 2 in der Warteschlange.").wait_for()
    assert "Geschätzte Wartezeit: etwa 6 Minuten." in queue.inner_text()
    live = page.locator("#buergerbot-queue [role='status']")
    assert live.count() == 1 and live.get_attribute("aria-live") == "polite"
    assert page.evaluate("document.activeElement.id") == "buergerbot-input"

    page.evaluate("""() => {
        window.__mutations = 0;
        const options = {childList: true, characterData: true, subtree: true};
        new MutationObserver((list) => { window.__mutations += list.length; }).observe(
            document.querySelector('#buergerbot-queue-position'), options);
    }""")
    hub.send({"type": "queue", "position": 2, "wait_minutes": 5})  # a new estimate: shown, not announced
    page.locator("#buergerbot-queue-wait", has_text="etwa 5 Minuten").wait_for()
    assert page.evaluate("window.__mutations") == 0
    hub.send({"type": "queue", "position": 1, "wait_minutes": 1})
    page.locator("#buergerbot-queue-position", has_text="Sie sind als Nächstes an der Reihe.").wait_for()
    assert "etwa 1 Minute." in queue.inner_text()

    page.click("#buergerbot-queue-leave")
    hub.wait_for(lambda: hub.frames("button"))
    leave = hub.frames("button")[-1]
    assert (leave["payload"], leave["title"]) == ("/handoff_leave", "Warteschlange verlassen")
    page.focus("#buergerbot-queue-leave")
    hub.send({"type": "queue", "position": None})
    queue.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "buergerbot-input"  # not lost with the button


def test_the_staff_members_typing_indicator_ends(page, hub: Hub):
    typing = page.locator("#buergerbot-typing")
    hub.send({"type": "agent_typing", "on": True})  # no push yet: nobody's name
    typing.filter(has_text="Eine Mitarbeiterin oder ein Mitarbeiter schreibt …").wait_for()
    hub.send({"type": "agent_typing", "on": False})
    typing.wait_for(state="hidden")

    hub.send(push(3, "Ich sehe nach."))
    page.locator(AGENT, has_text="Ich sehe nach.").wait_for()
    hub.send({"type": "agent_typing", "on": True})
    typing.filter(has_text=f"{AUTHOR} schreibt …").wait_for()
    hub.send(push(4, "Einen Moment bitte."))  # the next push ends it
    page.locator(AGENT, has_text="Einen Moment bitte.").wait_for()
    assert typing.is_hidden()

    hub.send({"type": "agent_typing", "on": True})
    typing.filter(has_text=f"{AUTHOR} schreibt …").wait_for()
    started = time.monotonic()
    page.wait_for_timeout(6_000)
    hub.send({"type": "agent_typing", "on": True})  # a new frame starts the 10 s again
    page.wait_for_timeout(6_000)
    assert typing.is_visible()
    typing.wait_for(state="hidden", timeout=6_000)  # and then no frame came: dropped
    assert time.monotonic() - started >= 15


def test_the_citizens_typing_is_sent_over_the_websocket_only(page, hub: Hub):
    page.locator("#buergerbot-input").press_sequentially("Guten Tag", delay=100)  # under a second
    hub.wait_for(lambda: len(hub.frames("typing")) >= 2, timeout=5)
    (on_at, on), (off_at, off) = [(at, f) for at, f in hub.received if f.get("type") == "typing"]
    assert (on["on"], off["on"]) == (True, False)
    assert 1.9 <= off_at - on_at <= 3.5  # 2 s after the last keystroke

    page.wait_for_timeout(500)  # the first "on" is more than 3 s ago
    hub.received.clear()
    page.locator("#buergerbot-input").press_sequentially("x" * 42, delay=100)  # about 4.5 s of typing
    page.press("#buergerbot-input", "Enter")  # sending ends it at once
    hub.wait_for(lambda: hub.frames("message"))
    kinds = [(f["type"], f.get("on")) for _, f in hub.received]
    assert kinds[-2:] == [("typing", False), ("message", None)]
    ons = [at for at, f in hub.received if f == {"type": "typing", "on": True}]
    assert len(ons) == 2 and ons[1] - ons[0] >= 2.9  # at most once every 3 s
    page.wait_for_timeout(2_500)
    assert len(hub.frames("typing")) == 3  # nothing after the send

    hub.refuse = True  # offline: typing sends nothing, and nothing waits in the outbox
    hub.send(CLOSE)
    page.wait_for_function("() => document.querySelector('#buergerbot-status').dataset.state === 'offline'")
    hub.received.clear()
    page.locator("#buergerbot-input").press_sequentially("Hallo", delay=50)
    assert page.evaluate("localStorage.getItem('buergerbot.outbox')") == "[]"
    hub.refuse = False
    connected(page, hub, 2)
    page.wait_for_timeout(2_500)
    assert hub.frames("typing") == []


def test_the_http_fallback_polls_for_pushes_and_the_queue(page, hub: Hub):
    queue = {"type": "queue", "position": 3, "wait_minutes": 9}
    hub.updates = {"pushes": [push(20, "Ich bin jetzt für Sie da.")], "queue": queue}
    hub.refuse = True
    hub.send(CLOSE)  # two failed connects: the widget switches to the HTTP fallback
    page.locator(AGENT, has_text="Ich bin jetzt für Sie da.").wait_for(timeout=15_000)
    page.locator("#buergerbot-queue-position", has_text="Position 3").wait_for()
    assert hub.polls[0] == {"session": SESSION, "since": "0"}
    hub.wait_for(lambda: len(hub.polls) >= 2, timeout=5)  # every 3 s, with the seq shown
    assert hub.polls[-1]["since"] == "20"
    assert page.locator(AGENT, has_text="Ich bin jetzt für Sie da.").count() == 1
    hub.updates = {"pushes": [], "queue": None}
    page.locator("#buergerbot-queue").wait_for(state="hidden", timeout=5_000)

    hub.refuse = False  # the WebSocket works again: polling stops
    page.evaluate("window.dispatchEvent(new Event('online'))")  # retry now rather than after the back-off
    connected(page, hub, 2)
    assert hub.connects[-1]["since"] == "20"
    polls = len(hub.polls)
    page.wait_for_timeout(4_000)
    assert len(hub.polls) <= polls + 1  # at most one that was already under way


def test_no_serious_accessibility_violations_with_queue_and_staff_message(page, hub: Hub):
    hub.send(
        {"type": "queue", "position": 2, "wait_minutes": 6},
        push(7, "Guten Tag, hier ist das Bürgeramt.", buttons=[{"title": "Weiter", "payload": "/weiter"}]),
        push(8, "Sie sind mit Frau B. verbunden.", role="system", author=None),
        {"type": "agent_typing", "on": True},
    )
    page.locator("#buergerbot-queue-position", has_text="Position 2").wait_for()
    page.locator(AGENT, has_text="Bürgeramt").wait_for()
    page.locator("#buergerbot-typing", has_text="schreibt").wait_for()
    assert axe_violations(page) == []
    page.emulate_media(reduced_motion="reduce")
    dots = "getComputedStyle(document.querySelector('#buergerbot .bb-dots span')).animationName"
    assert page.evaluate(dots) == "none"  # reduced motion: no bouncing dots
