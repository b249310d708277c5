"""Hostile input for the fuzz tests: seeded, so every run sends the same messages.

`hostile_messages` gives what a citizen (or a script) might type: very long, binary and control
characters, emoji, right-to-left text, HTML, SQL, Rasa commands (`/restart`, `/intent{…}`), JSON,
lone surrogates and ordinary questions in between. `hostile_frames` adds what only a WebSocket can
carry: binary frames, broken or deeply nested JSON, wrong types and oversized fields.
`no_server_error` is the schemathesis check of the schema tests."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

SEED = 12
ORDINARY = "Was kostet ein Reisepass?"
# For hypothesis: any code point, lone surrogates included (hypothesis leaves them out of text by default).
ANY_TEXT = st.text(st.characters(exclude_categories=()) | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))

_QUESTIONS = [
    ORDINARY,
    "Wann hat das Bürgeramt geöffnet?",
    "Ich möchte meinen Wohnsitz ummelden.",
    "Wie ist der Stand meines Antrags?",
    "BA-2025-004711",
    "K7M2Q9",
    "Hallo",
    "Danke, tschüss!",
]
_COMMANDS = [
    "/restart",
    "/greet",
    "/stop",
    "///restart",
    " /restart ",
    "\x00/restart",
    "\u200b/restart",
    "／restart",
    '/ask_fees{"service": "reisepass"}',
    '/ask_fees{"service": "../../health"}',
    '/inform{"case_number": "BA-2025-004711", "access_code": "K7M2Q9"}',
    '/check_case_status{"case_number": "\' OR 1=1 --"}',
    "/session_start",
    "/action_restart",
    "/nlu_fallback{}",
    "/" + "{" * 500,
]
_MARKUP = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(document.cookie)">',
    "<a href='javascript:alert(1)'>Reisepass</a>",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "]]></x><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>",
    "' OR '1'='1' --",
    "'; DROP TABLE events; --",
    "Robert'); DELETE FROM cases WHERE 1=1; --",
    "%' UNION SELECT password_hash FROM staff_users --",
    "../../../../etc/passwd",
    "%00%2e%2e%2f%2e%2e%2fhealth",
    "${jndi:ldap://127.0.0.1:9/x}",
    "\\x00\\u0000\\\\",
]
_EMOJI = ["😀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇩🇪", "❤️", "🤷🏽‍♀️", "\U0001f9ff", "🔥" * 3]
_RTL = [
    "مرحبا، كم تكلفة جواز السفر؟",
    "שלום, מתי המשרד פתוח?",
    "\u202eReisepass kostet\u202c",
    "\u200f\u200e\u2067abc\u2069",
]
_COMBINING = ["Z\u0351\u0352\u0357\u0358\u0359\u035a" * 10, "e\u0301" * 50, "\u0e01\u0e34\u0e4a" * 20]
_ODD = ["", " ", "\n\n\t", "\x00", "\x00" * 50, "\ufeff", "\ufffd" * 10, "\ud800", "a\udfffb", "\U0010ffff", "0", "-1"]


def _binary(rng: random.Random) -> str:
    """Random bytes read as Latin-1: every control character, DEL and the C1 range."""
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))).decode("latin-1")


def _random_unicode(rng: random.Random) -> str:
    """Code points from every plane, lone surrogates included."""
    return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(1, 200)))


def _long(rng: random.Random) -> str:
    """Around the 2,000-character limit, far over it, and over the API's field limit."""
    length = rng.choice([1999, 2000, 2001, 5000, 20_000, 100_001, 300_000])
    unit = rng.choice(["a", "Reisepass ", "ä", "😀", "\x00", "A-", " "])
    return (unit * (length // len(unit) + 1))[:length]


def _nested_json(rng: random.Random) -> str:
    depth = rng.choice([5, 50, 1000, 10_000])
    return "[" * depth + "]" * depth if rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth


def _mixed(rng: random.Random) -> str:
    parts = [rng.choice(pool) for pool in rng.sample(_POOLS, k=3)]
    return rng.choice([" ", "", "\n", "\x00"]).join(parts)


_POOLS = [_QUESTIONS, _COMMANDS, _MARKUP, _EMOJI, _RTL, _COMBINING, _ODD]
_GENERATORS: list[Callable[[random.Random], str]] = [
    lambda rng: rng.choice(_QUESTIONS),
    lambda rng: rng.choice(_COMMANDS),
    lambda rng: rng.choice(_MARKUP),
    lambda rng: "".join(rng.choices(_EMOJI, k=rng.randrange(1, 20))),
    lambda rng: rng.choice(_RTL),
    lambda rng: rng.choice(_COMBINING),
    lambda rng: rng.choice(_ODD),
    _binary,
    _random_unicode,
    _long,
    _nested_json,
    _mixed,
    lambda rng: json.dumps({"sender": "x", "message": rng.choice(_COMMANDS)}),
]


def hostile_messages(count: int, seed: int = SEED) -> list[str]:
    """`count` message texts, the same for the same seed."""
    rng = random.Random(seed)
    return [rng.choice(_GENERATORS)(rng) for _ in range(count)]


def hostile_frames(count: int, seed: int = SEED) -> list[str | bytes]:
    """`count` WebSocket frames, the same for the same seed: mostly widget message frames carrying
    `hostile_messages`, the rest malformed in the ways only a raw frame can be."""
    rng = random.Random(seed + 1)
    frames: list[str | bytes] = []
    for index, text in enumerate(hostile_messages(count, seed)):
        roll = rng.random()
        frame: Any
        if roll < 0.75:
            frame = {"type": "message", "id": f"m{index}", "text": text}
        elif roll < 0.8:
            frame = {"type": "button", "id": f"b{index}", "title": text[:256], "payload": rng.choice(_COMMANDS)}
        elif roll < 0.84:
            frames.append(text.encode("utf-8", "surrogatepass"))  # a binary frame
            continue
        elif roll < 0.88:
            frames.append(_nested_json(rng))
            continue
        elif roll < 0.92:
            frames.append(text)  # not JSON (or JSON of the wrong shape)
            continue
        else:
            frame = rng.choice(
                [
                    {"type": "message", "text": text, "id": "x" * 65},
                    {"type": "restart", "text": text},
                    {"type": "message", "text": {"nested": [text]}},
                    {"type": "message", "text": 42},
                    {"type": "message", "text": text, "payload": None, "title": None, "extra": [1, 2, 3]},
                    [{"type": "message", "text": text}],
                    {"type": "message", "text": "x" * 70_000},
                ]
            )
        frames.append(json.dumps(frame))
    return frames


def no_server_error(_ctx: object, response: Any, case: Any) -> None:
    """schemathesis check: no 5xx, except a 503 the operation documents (Rasa or the backend is
    unreachable, or the gateway is busy: a friendly German answer, not a failure)."""
    status = response.status_code
    documented = case.operation.definition.raw.get("responses", {})
    if status >= 500 and not (status == 503 and "503" in documented):
        raise AssertionError(f"{case.method} {case.path} answered {status}: {response.text[:500]}")


# What the gateway answers instead of forwarding a message: each starts one of these German sentences.
GERMAN_REFUSALS = (
    "Ungültige Anfrage",  # a field the API's schema refuses (bot.infra.http_errors)
    "Ihre Nachricht ist zu lang",
    "Bitte schreiben Sie eine Nachricht.",
    "Die Anfrage ist zu groß.",  # the body limit
    "Diese Nachricht konnte ich nicht lesen.",  # WebSocket frames
    "Bitte senden Sie Ihre Nachricht als Text.",
    "Diese Nachricht ist zu groß.",
)


def assert_answered(messages: list[dict[str, Any]]) -> None:
    """The bot said something: at least one message with text."""
    assert messages and all(isinstance(m.get("text"), str) for m in messages), messages
    assert any(m["text"].strip() for m in messages), messages


def assert_refused_in_german(text: str) -> None:
    assert text.startswith(GERMAN_REFUSALS), text[:300]


def assert_chat_api_answer(response: Any) -> None:
    """`POST /api/chat`'s answer to a hostile message: the bot's messages, or a German refusal."""
    if response.status_code == 200:
        assert_answered(response.json()["messages"])
    else:
        assert response.status_code in (413, 422), (response.status_code, response.text[:300])
        assert_refused_in_german(response.json()["detail"])


def ws_answer(receive: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The web chat's answer to one frame: its `bot` or `error` frame, after the `ack` and the typing
    indicator around it (which are checked to come in pairs); an unreadable frame gets only the error."""
    typing = False
    while True:
        event = receive()
        if event["type"] == "ack":
            continue
        if event["type"] == "typing":
            assert event["on"] and not typing, event
            typing = True
            continue
        assert event["type"] in ("bot", "error"), event
        if typing:
            assert receive() == {"type": "typing", "on": False}
        return event
