"""The daily purge `make run` does: conversations, handoffs and past bookings, each in its own
database; a failure is logged, never raised (the bot must keep running)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backend.settings import get_settings as backend_settings
from bot.cli import main
from bot.staff.settings import get_settings as staff_settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BUERGERBOT_DATA_DIR", str(tmp_path))
    for variable in ("BUERGERBOT_DATABASE_URL", "BUERGERBOT_TRACKER_DATABASE_URL", "BUERGERBOT_STAFF_DATABASE_URL"):
        monkeypatch.setenv(variable, "")
    backend_settings.cache_clear()
    staff_settings.cache_clear()
    yield tmp_path
    backend_settings.cache_clear()
    staff_settings.cache_clear()


def test_the_daily_purge_runs_on_fresh_databases_without_an_error(data_dir: Path, caplog: pytest.LogCaptureFixture):
    main._purge_quietly()  # nothing has run yet: no tables anywhere
    assert "retention purge failed" not in caplog.text
    from fastapi.testclient import TestClient

    from bot.backend.app import create_app
    from bot.staff.tables import connect

    connect(f"sqlite:///{data_dir / 'staff.db'}").dispose()
    with TestClient(create_app(backend_settings())):  # its start-up creates the backend's tables
        pass
    main._purge_quietly()
    assert "retention purge failed" not in caplog.text
