"""Web chat adapter: the demo page, the widget assets, a WebSocket and an HTTP fallback."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import HTTPConnection

from channels.base import IncomingMessage, PushEvent
from channels.port import ChatRefused, WebchatPort

from .sessions import SessionSigner, sender_for_web

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
# The demo page and widget load nothing from elsewhere; WebSocket and fetch go to the gateway.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


# Bounds of what a browser may send (the chat core refuses text over its own, smaller limit in German).
MAX_FRAME_CHARS = 65_536
MAX_JSON_DEPTH = 4
MAX_TEXT_CHARS = 20_000
MAX_TITLE_CHARS = 256
MAX_PAYLOAD_CHARS = 1024
MAX_SESSION_CHARS = 128
TYPING_INTERVAL = 1.0  # seconds; the widget sends at most one "typing on" every 3 s
MAX_SEQ = 2**62  # beyond any message id; larger numbers would overflow the database
UNREADABLE = "Diese Nachricht konnte ich nicht lesen."
TEXT_FRAMES_ONLY = "Bitte senden Sie Ihre Nachricht als Text."
FRAME_TOO_LARGE = "Diese Nachricht ist zu groß. Bitte senden Sie eine kürzere Nachricht."


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class WebchatMessageIn(BaseModel):
    session: str = Field("", max_length=MAX_SESSION_CHARS)
    id: str | None = Field(None, max_length=64)
    text: str = Field("", max_length=MAX_TEXT_CHARS)
    payload: str | None = Field(None, max_length=MAX_PAYLOAD_CHARS)
    title: str | None = Field(None, max_length=MAX_TITLE_CHARS)


class WebchatFrameIn(BaseModel):
    """One WebSocket frame from the widget."""

    type: Literal["message", "button", "typing"]
    id: str | None = Field(None, max_length=64)
    on: bool = False  # typing frames: started (true) or stopped typing
    text: str = Field("", max_length=MAX_TEXT_CHARS)
    payload: str | None = Field(None, max_length=MAX_PAYLOAD_CHARS)
    title: str | None = Field(None, max_length=MAX_TITLE_CHARS)


class RatingIn(BaseModel):
    session: str = Field(..., max_length=MAX_SESSION_CHARS)
    id: str = Field(..., max_length=64, description="the id of the rated answer's question")
    value: Literal[1, -1]


class UnreadableFrame(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def json_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar: 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def read_frame(message: Mapping[str, Any]) -> WebchatFrameIn:
    """A received WebSocket message as a widget frame; raises `UnreadableFrame` with a German reason
    for a binary, oversized, malformed or deeply nested frame."""
    raw = message.get("text")
    if raw is None:
        raise UnreadableFrame(TEXT_FRAMES_ONLY)
    if len(raw) > MAX_FRAME_CHARS:
        raise UnreadableFrame(FRAME_TOO_LARGE)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise UnreadableFrame(UNREADABLE) from exc
    if not isinstance(data, dict) or json_depth(data) > MAX_JSON_DEPTH:
        raise UnreadableFrame(UNREADABLE)
    try:
        frame: WebchatFrameIn = WebchatFrameIn.parse_obj(data)
    except ValidationError as exc:
        raise UnreadableFrame(UNREADABLE) from exc
    return frame


def _incoming(sender: str, client: str, data: WebchatFrameIn | WebchatMessageIn) -> IncomingMessage:
    """A frame or fallback body as a message; never trusted (a payload counts only if it was offered)."""
    message_id = data.id or None
    if data.payload and (not isinstance(data, WebchatFrameIn) or data.type == "button"):
        return IncomingMessage(
            sender, text=data.title or "", payload=data.payload, message_id=message_id, client=client
        )
    return IncomingMessage(sender, text=data.text, message_id=message_id, client=client)


def _client(connection: HTTPConnection) -> str:
    """The client address (the gateway puts the real one, proxies resolved, into the ASGI scope)."""
    return connection.client.host if connection.client else "unknown"


def create_router(chat: WebchatPort, signer: SessionSigner) -> APIRouter:
    """The web chat's routes, talking to `chat`; `signer` mints and checks session ids."""
    router = APIRouter(tags=["webchat"])

    @router.get("/", include_in_schema=False)
    def demo_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)

    @router.get("/widget.js", include_in_schema=False)
    def widget_js() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "widget.js",
            media_type="text/javascript",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-cache",
                "Access-Control-Allow-Origin": "*",
            },
        )

    @router.get("/widget.css", include_in_schema=False)
    def widget_css() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "widget.css",
            media_type="text/css",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-cache",
                "Access-Control-Allow-Origin": "*",
            },
        )

    @router.get("/demo.css", include_in_schema=False)
    def demo_css() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "demo.css",
            media_type="text/css",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-cache",
                "Access-Control-Allow-Origin": "*",
            },
        )

    @router.websocket("/ws/chat")
    async def chat_socket(websocket: WebSocket, session: str = "", since: int = Query(0, ge=0, le=MAX_SEQ)) -> None:
        client = _client(websocket)
        await websocket.accept()
        lock = asyncio.Lock()  # pushes come from other tasks: one frame at a time

        async def send(frame: dict[str, Any]) -> None:
            async with lock:
                await websocket.send_json(frame)

        async def deliver(sender: str, event: PushEvent) -> None:
            await send(event.to_frame())

        try:
            async with chat.connection(client):
                if not signer.verify(session):
                    await chat.admit_session(client)
                    session, since = signer.new(), 0
                await send({"type": "session", "session": session})
                sender = sender_for_web(session)
                async with chat.subscribe(sender, deliver, max(since, 0)):
                    await _converse(websocket, send, sender, client)
        except ChatRefused as refused:  # too many connections or new sessions: say why, then close
            await websocket.send_json({"type": "error", "text": refused.text})
            await websocket.close(code=1013)
        except WebSocketDisconnect:  # gone while we were answering
            logger.debug("web chat socket of %s closed by the client", client)

    async def _converse(
        websocket: WebSocket, send: Callable[[dict[str, Any]], Awaitable[None]], sender: str, client: str
    ) -> None:
        last_typing_on: float | None = None  # when the last counted "on" came, None after an "off"

        def typing_throttled(frame: WebchatFrameIn) -> bool:
            """A repeated "typing on" counts at most every TYPING_INTERVAL seconds per socket; the
            first "on" after an "off", and every "off", always count."""
            nonlocal last_typing_on
            if not frame.on:
                last_typing_on = None
                return False
            now = time.monotonic()
            if last_typing_on is not None and now - last_typing_on < TYPING_INTERVAL:
                return True
            last_typing_on = now
            return False

        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                logger.debug("web chat %s disconnected", sender)
                return
            try:
                frame = read_frame(received)
            except UnreadableFrame as unreadable:  # the connection lives on
                await send({"type": "error", "text": unreadable.text})
                continue
            if frame.type == "typing":
                if not typing_throttled(frame):
                    await chat.citizen_typing(sender, frame.on)
                continue
            message = _incoming(sender, client, frame)
            asked_bot = False

            async def thinking() -> None:
                nonlocal asked_bot
                asked_bot = True
                await send({"type": "typing", "on": True})

            reply: dict[str, Any]
            try:
                answer = await chat.handle(message, thinking)
            except ChatRefused as refused:
                reply = {"type": "error", "text": refused.text, "reply_to": message.message_id}
            else:
                reply = {
                    "type": "bot",
                    "reply_to": message.message_id,
                    "time": _now(),
                    "messages": [m.to_dict() for m in answer],
                    "rateable": asked_bot,  # the gateway's own answers are not the bot's to rate
                }
            # Acknowledged only once handled: a message to a person is stored by then, and one to
            # the bot is remembered by id (a resend after a dropped connection is answered again).
            if message.message_id:
                await send({"type": "ack", "id": message.message_id})
            await send(reply)
            if asked_bot:
                await send({"type": "typing", "on": False})

    @router.get("/api/webchat/updates", summary="HTTP fallback: pushes after `since` and the queue position")
    async def webchat_updates(
        session: str = Query("", max_length=MAX_SESSION_CHARS), since: int = Query(0, ge=0, le=MAX_SEQ)
    ) -> JSONResponse:
        if not signer.verify(session):
            return JSONResponse(status_code=403, content={"detail": "Diese Sitzung ist abgelaufen."})
        pushes, queue = await chat.updates(sender_for_web(session), max(since, 0))
        return JSONResponse(
            {"pushes": [p.to_frame() for p in pushes], "queue": queue.to_frame() if queue is not None else None}
        )

    @router.post("/api/webchat/message", summary="HTTP fallback of the web chat WebSocket")
    async def webchat_message(body: WebchatMessageIn, request: Request) -> JSONResponse:
        client = _client(request)
        try:
            if signer.verify(body.session):
                session = body.session
            else:
                await chat.admit_session(client)
                session = signer.new()
        except ChatRefused as refused:
            return JSONResponse(status_code=refused.status, content={"detail": refused.text})
        message = _incoming(sender_for_web(session), client, body)
        try:
            answer = await chat.handle(message)
        except ChatRefused as refused:
            return JSONResponse(status_code=refused.status, content={"detail": refused.text, "session": session})
        return JSONResponse(
            {"session": session, "reply_to": body.id, "time": _now(), "messages": [m.to_dict() for m in answer]}
        )

    @router.post("/api/webchat/rating", summary="Thumbs up/down for an answer (shown to staff next to the question)")
    async def webchat_rating(body: RatingIn) -> JSONResponse:
        if not signer.verify(body.session):
            return JSONResponse(status_code=403, content={"detail": "Diese Sitzung ist abgelaufen."})
        try:
            await chat.rate(sender_for_web(body.session), body.id, body.value)
        except ChatRefused as refused:
            return JSONResponse(status_code=refused.status, content={"detail": refused.text})
        return JSONResponse({"ok": True})

    return router
