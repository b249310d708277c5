"""Web chat adapter: the demo page, the widget assets, a WebSocket and an HTTP fallback."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from channels.base import IncomingMessage
from channels.port import ChatPort, ChatRefused

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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class WebchatMessageIn(BaseModel):
    session: str = ""
    id: str | None = Field(None, max_length=64)
    text: str = ""
    payload: str | None = None
    title: str | None = None


class RatingIn(BaseModel):
    session: str
    id: str = Field(..., max_length=64, description="the id of the rated answer's question")
    value: Literal[1, -1]


def _incoming(sender: str, data: dict[str, Any]) -> IncomingMessage:
    message_id = str(data.get("id") or "")[:64] or None
    payload = data.get("payload")
    if isinstance(payload, str) and payload:
        return IncomingMessage(sender, text=str(data.get("title") or ""), payload=payload, message_id=message_id)
    return IncomingMessage(sender, text=str(data.get("text") or ""), message_id=message_id)


def create_router(chat: ChatPort, signer: SessionSigner) -> APIRouter:
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
    async def chat_socket(websocket: WebSocket, session: str = "") -> None:
        await websocket.accept()
        if not signer.verify(session):
            session = signer.new()
        await websocket.send_json({"type": "session", "session": session})
        sender = sender_for_web(session)
        try:
            while True:
                raw = await websocket.receive_text()
                try:
                    data = json.loads(raw)
                    if not isinstance(data, dict) or data.get("type") not in ("message", "button"):
                        raise ValueError(data)
                except ValueError:
                    await websocket.send_json({"type": "error", "text": "Diese Nachricht konnte ich nicht lesen."})
                    continue
                message = _incoming(
                    sender, {**data, "payload": data.get("payload") if data["type"] == "button" else None}
                )
                if message.message_id:
                    await websocket.send_json({"type": "ack", "id": message.message_id})
                await websocket.send_json({"type": "typing", "on": True})
                try:
                    answer = await chat.handle(message)
                except ChatRefused as refused:
                    await websocket.send_json({"type": "error", "text": refused.text, "reply_to": message.message_id})
                else:
                    await websocket.send_json(
                        {
                            "type": "bot",
                            "reply_to": message.message_id,
                            "time": _now(),
                            "messages": [m.to_dict() for m in answer],
                        }
                    )
                await websocket.send_json({"type": "typing", "on": False})
        except WebSocketDisconnect:
            logger.debug("web chat %s disconnected", sender)

    @router.post("/api/webchat/message", summary="HTTP fallback of the web chat WebSocket")
    async def webchat_message(body: WebchatMessageIn) -> JSONResponse:
        session = body.session if signer.verify(body.session) else signer.new()
        message = _incoming(sender_for_web(session), body.dict())
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
