"""A loopback server that speaks the Telegram Bot API methods the gateway uses.

Telegram's servers cannot be reached here; this is the one mock the project allows. It
answers like the real API (JSON `{"ok": true, "result": ...}`), records every call and can
be told to answer a method with flood control (HTTP 429 with retry_after) or another error
(e.g. 502 Bad Gateway, 400 Bad Request) a few times.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support import eventually

BOT_USER = {"id": 4711, "is_bot": True, "first_name": "Bürgerbot", "username": "buergerbot_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class Failure:
    times: int
    chat_id: str | None  # only calls to this chat fail, when set
    status: int
    retry_after: int | None = None


@dataclass
class FakeTelegramAPI:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, Failure] = field(default_factory=dict)
    port: int = 0
    _server: uvicorn.Server | None = None
    _message_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def flood_control(self, method: str, times: int, chat_id: int | None = None, retry_after: int = 1) -> None:
        """Refuse the next `times` calls of `method` with HTTP 429 and `retry_after` (only those to
        `chat_id`, when given, so a late reply of an earlier test cannot use them up)."""
        self.fail(method, times, chat_id=chat_id, status=429, retry_after=retry_after)

    def fail(
        self, method: str, times: int, chat_id: int | None = None, status: int = 502, retry_after: int | None = None
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, when given) with HTTP `status`."""
        with self._lock:
            self.failures[method] = Failure(times, None if chat_id is None else str(chat_id), status, retry_after)

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]]:
            found = self.sent(method)
            assert len(found) >= count, f"expected {count} {method} calls, got {found}"
            return found

        return eventually(enough, timeout=timeout)

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        raw = await request.body()
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            params = json.loads(raw.decode() or "{}")
        elif content_type.startswith("multipart/form-data"):  # an upload (sendDocument)
            params = _multipart(content_type, raw)
        else:
            params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        with self._lock:
            self.calls.append(Call(method, params))
            failure = self.failures.get(method)
            if failure and failure.times and failure.chat_id in (None, str(params.get("chat_id"))):
                failure.times -= 1
                return self._error(failure)
            self._message_id += 1
            message_id = self._message_id
        return JSONResponse({"ok": True, "result": self._result(method, params, message_id)})

    @staticmethod
    def _error(failure: Failure) -> JSONResponse:
        body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": f"Error {failure.status}"}
        if failure.retry_after is not None:
            body["description"] = f"Too Many Requests: retry after {failure.retry_after}"
            body["parameters"] = {"retry_after": failure.retry_after}
        return JSONResponse(body, status_code=failure.status)

    @staticmethod
    def _result(method: str, params: dict[str, Any], message_id: int) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendDocument":
            upload = params.get("document")
            name = upload["filename"] if isinstance(upload, dict) else "file"
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "document": {"file_id": f"doc{message_id}", "file_unique_id": f"u{message_id}", "file_name": name},
            }
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "text": params.get("text", ""),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                **({"reply_markup": params["reply_markup"]} if params.get("reply_markup") else {}),
            }
        return True  # setWebhook, deleteWebhook, answerCallbackQuery, sendChatAction

    def start(self) -> None:
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", ws="none")
        self._server = uvicorn.Server(config)
        threading.Thread(target=self._server.run, daemon=True).start()
        server = self._server
        eventually(lambda: server.started, timeout=10, what="fake Telegram API start")

    def stop(self) -> None:
        if self._server:
            self._server.should_exit = True


def _multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """A multipart/form-data body: fields as text, files as {"filename", "content_type", "data"}."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            params[name] = {"filename": filename, "content_type": part.get_content_type(), "data": data}
        else:
            params[name] = data.decode()
    return params


def update(update_id: int, **content: Any) -> dict[str, Any]:
    return {"update_id": update_id, **content}


def text_message(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "text": text,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "Erika"},
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return update(update_id, message=message)


def photo_message(update_id: int, chat_id: int) -> dict[str, Any]:
    return update(
        update_id,
        message={
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Erika"},
            "photo": [{"file_id": "AgAD", "file_unique_id": "u1", "width": 90, "height": 90}],
        },
    )


def button_press(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    return update(
        update_id,
        callback_query={
            "id": f"cq{update_id}",
            "chat_instance": "ci",
            "data": data,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Erika"},
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": "Bitte wählen Sie:",
            },
        },
    )


def texts_for(api: FakeTelegramAPI, chat_id: int, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Wait until `count` messages went to `chat_id`; return them."""

    def enough() -> list[dict[str, Any]]:
        found = [p for p in api.sent() if int(p["chat_id"]) == chat_id]
        assert len(found) >= count, f"expected {count} messages to {chat_id}, got {found}"
        return found

    return eventually(enough, timeout=timeout)
