"""Trackers for action tests, built from a JSON fixture, and a domain loaded from domain.yml."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker

from bot.infra.paths import DOMAIN_FILE

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    base = json.loads((FIXTURES / "tracker.json").read_text(encoding="utf-8"))

    def make(
        text: str = "",
        intent: str | None = None,
        entities: dict[str, str] | None = None,
        slots: dict[str, Any] | None = None,
        active_loop: str | None = None,
        ranking: list[dict[str, Any]] | None = None,
    ) -> Tracker:
        state = copy.deepcopy(base)
        state["slots"].update(slots or {})
        state["latest_message"].update(
            text=text,
            intent={"name": intent, "confidence": 0.9},
            entities=[{"entity": k, "value": v} for k, v in (entities or {}).items()],
            intent_ranking=ranking or [],
        )
        return Tracker(
            state["sender_id"],
            state["slots"],
            state["latest_message"],
            state["events"],
            state["paused"],
            state["followup_action"],
            {"name": active_loop} if active_loop else {},
            state["latest_action_name"],
        )

    return make


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def run_action(
    action: Any, tracker: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run an action; return what it uttered and the slots it set."""
    from rasa_sdk.executor import CollectingDispatcher

    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return dispatcher.messages, slot_events(events)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def silent_backend(monkeypatch: pytest.MonkeyPatch):
    """A backend that accepts connections and never answers (a hung server)."""
    import socket
    import threading

    from actions.settings import get_settings

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("BUERGERBOT_BACKEND_URL", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setenv("BUERGERBOT_BACKEND_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    yield
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()
    get_settings.cache_clear()
