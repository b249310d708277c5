"""A sample of the fuzz run's hostile messages (`tests.fuzz`, the same seed as
tests/bot/gateway/test_message_fuzz.py) through the real stack: gateway, Rasa with the trained model,
action server and backend. No 5xx, every message answered or refused in German, and the bot still
answers an ordinary question right after."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
import websockets

from bot.launcher.processes import GATEWAY_WS_MAX_BYTES, Stack
from tests.conftest import API_HEADERS
from tests.fuzz import (
    ORDINARY,
    assert_answered,
    assert_chat_api_answer,
    assert_refused_in_german,
    hostile_frames,
    hostile_messages,
    ws_answer,
)

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

API_SAMPLE = 200
WS_SAMPLE = 100


def ask(client: httpx.Client, sender: str, text: str) -> httpx.Response:
    # ASCII-escaped JSON, so lone surrogates and NUL travel as a script would send them
    body = json.dumps({"sender": sender, "message": text})
    return client.post("/api/chat", content=body, headers={**API_HEADERS, "Content-Type": "application/json"})


def test_hostile_messages_through_the_chat_api_of_the_real_stack(full_stack: Stack):
    sender = f"fuzz-{uuid.uuid4().hex[:12]}"
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=full_stack.gateway_url, timeout=60) as client:
        for text in hostile_messages(API_SAMPLE):
            response = ask(client, sender, text)
            statuses[response.status_code] += 1
            assert_chat_api_answer(response)
        assert ask(client, sender, ORDINARY).status_code == 200  # the fuzzed conversation goes on
        fresh = ask(client, f"fuzz-{uuid.uuid4().hex[:12]}", ORDINARY)
        assert fresh.status_code == 200 and "Reisepass" in fresh.json()["messages"][0]["text"], fresh.text
    assert sum(statuses.values()) == API_SAMPLE and statuses[200] > API_SAMPLE // 2, statuses


def test_hostile_frames_through_the_websocket_of_the_real_stack(full_stack: Stack):
    url = full_stack.gateway_url.replace("http://", "ws://") + "/ws/chat"

    async def converse() -> Counter[str]:
        kinds: Counter[str] = Counter()
        ws = await websockets.connect(url, max_size=2**22)
        try:

            async def receive() -> dict[str, Any]:
                return json.loads(await asyncio.wait_for(ws.recv(), 60))

            session = await receive()
            assert session["type"] == "session"
            for frame in hostile_frames(WS_SAMPLE):
                # a text frame cannot carry a lone surrogate: such a frame goes as bytes
                data = frame.encode("utf-8", "surrogatepass") if isinstance(frame, str) and not _utf8(frame) else frame
                await ws.send(data)
                if len(data if isinstance(data, bytes) else data.encode()) > GATEWAY_WS_MAX_BYTES:
                    # refused by uvicorn before the app sees it: the standard close code, then a new socket
                    with pytest.raises(websockets.ConnectionClosed) as closed:
                        await receive()
                    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
                    kinds["closed 1009"] += 1
                    ws = await websockets.connect(f"{url}?session={session['session']}", max_size=2**22)
                    assert await receive() == session  # the same conversation goes on
                    continue
                answer = await _ws_answer(receive)
                kinds[answer["type"]] += 1
                if answer["type"] == "bot":
                    assert_answered(answer["messages"])
                else:
                    assert_refused_in_german(answer["text"])
            await ws.send(json.dumps({"type": "message", "id": "ordinary", "text": ORDINARY}))
            answer = await _ws_answer(receive)
            assert answer["type"] == "bot", answer
            assert_answered(answer["messages"])
        finally:
            await ws.close()
        return kinds

    kinds = asyncio.run(converse())
    assert sum(kinds.values()) == WS_SAMPLE and kinds["bot"] > WS_SAMPLE // 2, kinds


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def _ws_answer(receive: Any) -> dict[str, Any]:
    """`tests.fuzz.ws_answer` over an asyncio socket: the events are read first, then checked."""
    events: list[dict[str, Any]] = []
    while True:
        events.append(await receive())
        if events[-1]["type"] == "typing" and not events[-1]["on"]:
            break
        if events[-1]["type"] == "error" and not any(e["type"] == "typing" for e in events):
            break
    pending = iter(events)
    return ws_answer(lambda: next(pending))
