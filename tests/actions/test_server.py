"""The action server process (`python -m actions.server`): shared secret, body limits, error answers.

The pure checks run in-process; the rest against the real process the launcher starts (loopback,
free port), as Rasa reaches it."""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from actions.server import (
    MAX_INFLATED_BYTES,
    BodyRefused,
    bearer_matches,
    create_server_app,
    error_body,
    inflate_limited,
    main,
)
from bot.infra.paths import DOMAIN_FILE
from bot.launcher.processes import Stack, free_ports
from tests.actions.conftest import FIXTURES
from tests.conftest import stack_env

MARKER = "Zitronenfalter-4711"  # stands for citizen input: must never come back in an answer


def zlib_bomb(megabytes: int = 100, wbits: int = zlib.MAX_WBITS) -> bytes:
    """`megabytes` MB of zeros, compressed (about 1 KB per MB), built without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    chunk = b"\0" * 1_000_000
    return b"".join(packer.compress(chunk) for _ in range(megabytes)) + packer.flush()


# --- pure checks ----------------------------------------------------------------------------------


def test_bearer_token_must_match_exactly():
    token = "s3cret-token-0123456789"
    assert bearer_matches(f"Bearer {token}", token) and bearer_matches(f"bearer  {token} ", token)
    assert not bearer_matches(None, token)
    assert not bearer_matches(token, token)  # no scheme
    assert not bearer_matches(f"Bearer {token}x", token)
    assert not bearer_matches(f"Basic {token}", token)
    assert not bearer_matches("Bearer ", "")


def test_inflation_stops_one_byte_past_the_limit():
    started = time.monotonic()
    with pytest.raises(BodyRefused) as refused:
        inflate_limited(zlib_bomb(), "deflate", MAX_INFLATED_BYTES)
    assert refused.value.status == 413 and time.monotonic() - started < 5
    with pytest.raises(BodyRefused) as refused_gzip:
        inflate_limited(zlib_bomb(wbits=16 + zlib.MAX_WBITS), "gzip", MAX_INFLATED_BYTES)
    assert refused_gzip.value.status == 413


def test_inflation_of_ordinary_bodies():
    body = json.dumps({"next_action": "action_listen", "text": "ä" * 1000}).encode()
    assert inflate_limited(zlib.compress(body), "deflate", 10_000) == body
    assert inflate_limited(gzip.compress(body), " GZIP ", 10_000) == body
    assert inflate_limited(body, "identity", 10_000) == body
    assert inflate_limited(zlib.compress(b"x" * 100), "deflate", 100) == b"x" * 100  # exactly the limit
    small = b'{"next_action": "action_listen"}'
    for encoding, data, status in [
        ("br", small, 415),
        ("gzip, deflate", small, 415),
        ("deflate", b"not compressed", 400),
        ("deflate", zlib.compress(small)[:-5], 400),  # truncated
        ("deflate", zlib.compress(small) + b"trailing", 400),
        ("deflate", zlib.compress(b"x" * 101), 413),
        ("identity", b"x" * 101, 413),
    ]:
        with pytest.raises(BodyRefused) as refused:
            inflate_limited(data, encoding, 100)
        assert refused.value.status == status, encoding


def test_error_answers_name_the_status_only():
    assert error_body(413) == {"error": "Request Entity Too Large"}
    assert error_body(599) == {"error": "error"}


def test_the_server_needs_a_long_enough_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.delenv("BUERGERBOT_ACTIONS_TOKEN", raising=False)
    assert main(["--port", "1"]) == 2
    assert "BUERGERBOT_ACTIONS_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("BUERGERBOT_ACTIONS_TOKEN", "short")
    assert main(["--port", "1"]) == 2
    with pytest.raises(ValueError):
        create_server_app("short")


# --- the real process -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The action server alone, started by the launcher as in production."""
    tmp = tmp_path_factory.mktemp("actions")
    stack = Stack(free_ports(), model=Path("unused"), env=stack_env(tmp), log_dir=tmp / "logs")
    stack.start(("actions",))
    try:
        stack.wait_ready(timeout=60)
        yield stack
    finally:
        stack.stop()


def action_call(sender: str = "test:server") -> dict[str, Any]:
    tracker = json.loads((FIXTURES / "tracker.json").read_text(encoding="utf-8"))
    tracker["sender_id"] = sender
    tracker["latest_message"].update(
        text="Reisepass Kosten",
        intent={"name": "ask_fees", "confidence": 0.4},
        intent_ranking=[{"name": "ask_fees", "confidence": 0.4}, {"name": "ask_documents", "confidence": 0.3}],
    )
    return {
        "next_action": "action_default_ask_affirmation",
        "sender_id": sender,
        "tracker": tracker,
        "domain": yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")),
        "version": "3.6.2",
    }


def post(stack: Stack, content: bytes, token: str | None, **headers: str) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{stack.actions_url}/webhook", content=content, headers=headers, timeout=10)


@pytest.mark.slow
@pytest.mark.e2e
def test_requests_without_the_secret_are_refused(action_server: Stack):
    body = json.dumps(action_call()).encode()
    assert post(action_server, body, None).status_code == 401
    assert post(action_server, body, "wrong-token-of-enough-length").status_code == 401
    assert httpx.get(f"{action_server.actions_url}/actions", timeout=5).status_code == 401
    assert httpx.get(f"{action_server.actions_url}/health", timeout=5).json() == {"status": "ok"}  # gateway probe


@pytest.mark.slow
@pytest.mark.e2e
def test_rasa_calls_with_the_secret_are_answered_plain_or_compressed(action_server: Stack):
    body = json.dumps(action_call()).encode()
    for content, headers in [
        (body, {}),
        (zlib.compress(body), {"Content-Encoding": "deflate"}),  # what Rasa sends when compressing
        (gzip.compress(body), {"Content-Encoding": "gzip"}),
    ]:
        answer = post(action_server, content, action_server.actions_token, **headers)
        assert answer.status_code == 200, headers
        assert answer.json()["responses"][0]["text"].startswith("Ich bin mir nicht sicher")


@pytest.mark.slow
@pytest.mark.e2e
def test_a_deflate_bomb_is_refused_quickly_and_the_server_carries_on(action_server: Stack):
    bomb = zlib_bomb(100)  # 100 MB of zeros in about 100 KB
    assert len(bomb) < 200_000
    started = time.monotonic()
    answer = post(action_server, bomb, action_server.actions_token, **{"Content-Encoding": "deflate"})
    elapsed = time.monotonic() - started
    print(f"deflate bomb of {len(bomb)} bytes refused with {answer.status_code} in {elapsed * 1000:.0f} ms")
    assert answer.status_code == 413 and elapsed < 3
    assert httpx.get(f"{action_server.actions_url}/health", timeout=5).status_code == 200
    body = json.dumps(action_call()).encode()
    assert post(action_server, body, action_server.actions_token).status_code == 200


@pytest.mark.slow
@pytest.mark.e2e
def test_a_raw_body_over_the_limit_is_refused(action_server: Stack):
    answer = post(action_server, b" " * (3 * 1024 * 1024), action_server.actions_token)
    assert answer.status_code == 413
    assert httpx.get(f"{action_server.actions_url}/health", timeout=5).status_code == 200


@pytest.mark.slow
@pytest.mark.e2e
def test_error_answers_and_logs_do_not_echo_the_body(action_server: Stack):
    token = action_server.actions_token
    broken_json = post(action_server, f'{{"text": "{MARKER}"'.encode(), token)
    assert broken_json.status_code == 400
    call = {**action_call(sender=MARKER), "tracker": MARKER}  # rasa_sdk fails on it: 500
    # (rasa_sdk's own handler answered {"error": ..., "request_body": <the whole call>})
    failed = post(action_server, json.dumps(call).encode(), token)
    assert failed.status_code == 500
    for answer in (broken_json, failed):
        assert MARKER not in answer.text and "request_body" not in answer.text
        assert set(answer.json()) == {"error"}
    assert MARKER not in action_server.log_file("actions").read_text(encoding="utf-8", errors="replace")
