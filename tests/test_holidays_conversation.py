"""Public holidays through a real stack (backend, action server, Rasa): the backend's clock stands
still at a chosen moment (`BUERGERBOT_FIXED_NOW`), the citizen asks for opening hours."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.launcher.processes import Stack
from tests.conftest import free_ports, running, stack_env

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def ask(stack: Stack, text: str) -> str:
    replies = stack.rasa_api().send(f"test:{uuid.uuid4().hex}", text)
    return "\n".join(r.get("text", "") for r in replies)


def test_opening_hours_name_the_public_holidays(trained_model: Path, tmp_path: Path):
    env = stack_env(tmp_path) | {"BUERGERBOT_FIXED_NOW": "2026-04-30T10:00:00", "BUERGERBOT_FEDERAL_STATE": "NW"}
    with running(Stack(free_ports(), model=trained_model, env=env, log_dir=tmp_path / "logs")) as stack:
        before_may_day = ask(stack, "Wann hat das Bürgeramt geöffnet?")  # Thursday, 30 April
        assert "Bürgeramt Mitte ist jetzt geöffnet" in before_may_day
        assert "Achtung: Am Freitag, 1. Mai, ist Feiertag (Erster Mai), das Amt ist dann geschlossen." in before_may_day

        stack.stop(("backend",))  # the same conversation machinery, the backend's clock on Christmas Day
        stack.env["BUERGERBOT_FIXED_NOW"] = "2026-12-25T10:00:00"
        stack.start(("backend",))
        stack.wait_ready(timeout=60)
        on_christmas = ask(stack, "Wann hat das Bürgeramt geöffnet?")
        assert on_christmas.startswith(
            "Heute (Freitag, 25. Dezember) ist Feiertag (Erster Weihnachtstag): alle Ämter sind geschlossen."
        )
        assert "Zweiter Weihnachtstag" in on_christmas and "öffnet wieder am Montag, 28. Dezember" in on_christmas
