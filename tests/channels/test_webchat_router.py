"""The web chat's frame reading alone (the routes are tested through the gateway app)."""

import json

import pytest

from channels.webchat.router import (
    FRAME_TOO_LARGE,
    MAX_FRAME_CHARS,
    TEXT_FRAMES_ONLY,
    UNREADABLE,
    UnreadableFrame,
    WebchatMessageIn,
    _incoming,
    json_depth,
    read_frame,
)


def frame(data: object) -> dict[str, object]:
    return {"type": "websocket.receive", "text": json.dumps(data)}


def test_a_good_frame_is_read():
    read = read_frame(frame({"type": "button", "id": "b1", "title": "Kosten", "payload": "/ask_fees"}))
    assert (read.type, read.id, read.title, read.payload) == ("button", "b1", "Kosten", "/ask_fees")


@pytest.mark.parametrize(
    ("received", "reason"),
    [
        ({"type": "websocket.receive", "bytes": b"\x00"}, TEXT_FRAMES_ONLY),
        ({"type": "websocket.receive", "text": "x" * (MAX_FRAME_CHARS + 1)}, FRAME_TOO_LARGE),
        ({"type": "websocket.receive", "text": "{"}, UNREADABLE),
        ({"type": "websocket.receive", "text": "[" * 50_000}, UNREADABLE),
        ({"type": "websocket.receive", "text": "[" * 10_000 + "]" * 10_000}, UNREADABLE),
        (frame([1, 2]), UNREADABLE),
        (frame({"type": "typed"}), UNREADABLE),
        (frame({"type": "message", "text": [[[[["tief"]]]]]}), UNREADABLE),
        (frame({"type": "message", "text": "x", "id": "i" * 65}), UNREADABLE),
        (frame({"type": "button", "payload": "/x" * 600}), UNREADABLE),
    ],
)
def test_bad_frames_are_refused_with_a_german_reason(received, reason):
    with pytest.raises(UnreadableFrame) as refused:
        read_frame(received)
    assert refused.value.text == reason


def test_json_depth():
    assert json_depth(1) == 0 and json_depth({}) == 1 and json_depth({"a": [1, {"b": []}]}) == 4


def test_browser_input_is_never_a_trusted_command():
    typed = _incoming("web:s", "192.0.2.1", read_frame(frame({"type": "message", "text": "/restart", "payload": "/x"})))
    assert (typed.text, typed.payload, typed.trusted, typed.client) == ("/restart", None, False, "192.0.2.1")
    pressed = _incoming("web:s", "192.0.2.1", WebchatMessageIn(payload="/greet", title="Hallo", trusted=True))
    assert (pressed.payload, pressed.text, pressed.trusted) == ("/greet", "Hallo", False)
