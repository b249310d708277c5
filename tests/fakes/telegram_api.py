"""A loopback server that speaks the Telegram Bot API methods the gateway uses.

Telegram's servers cannot be reached here; this is the one mock the project allows. It
answers like the real API (JSON `{"ok": true, "result": ...}`), records every call and can
be told to answer a method with flood control (HTTP 429 with retry_after) a few times.
"""

from __future__ import annotations

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

BOT_USER = {"id": 4711, "is_bot": True, "first_name": "Bürgerbot", "username": "buergerbot_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegramAPI:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    port: int = 0
    _server: uvicorn.Server | None = None
    _message_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def flood_control(self, method: str, times: int, chat_id: int | None = None) -> None:
        """Refuse the next `times` calls of `method` (only those to `chat_id`, when given, so a
        late reply of an earlier test cannot use them up)."""
        self.failures[method] = (times, None if chat_id is None else str(chat_id))

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"expected {count} {method} calls, got {self.sent(method)}")

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        body = (await request.body()).decode()
        if request.headers.get("content-type", "").startswith("application/json"):
            params = json.loads(body or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(body).items()}
        for key in ("reply_markup", "allowed_updates"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        with self._lock:
            self.calls.append(Call(method, params))
            times, chat = self.failures.get(method, (0, None))
            if times and (chat is None or str(params.get("chat_id")) == chat):
                self.failures[method] = (times - 1, chat)
                return JSONResponse(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1},
                    },
                    status_code=429,
                )
            self._message_id += 1
            message_id = self._message_id
        return JSONResponse({"ok": True, "result": self._result(method, params, message_id)})

    @staticmethod
    def _result(method: str, params: dict[str, Any], message_id: int) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "text": params.get("text", ""),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
            }
        return True  # setWebhook, deleteWebhook, answerCallbackQuery, sendChatAction

    def start(self) -> None:
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", ws="none")
        self._server = uvicorn.Server(config)
        threading.Thread(target=self._server.run, daemon=True).start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("fake Telegram API did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server:
            self._server.should_exit = True


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
    deadline = time.monotonic() + timeout
    while True:
        found = [p for p in api.sent() if int(p["chat_id"]) == chat_id]
        if len(found) >= count or time.monotonic() > deadline:
            if len(found) < count:
                raise TimeoutError(f"expected {count} messages to {chat_id}, got {found}")
            return found
        time.sleep(0.05)
