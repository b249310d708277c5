"""Model registry: live model, history, and which model `buergerbot run` starts with."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bot.staff import registry
from bot.staff.errors import NotFound
from bot.staff.tables import connect


@pytest.fixture
def engine(tmp_path: Path):
    engine = connect(f"sqlite:///{tmp_path / 'staff.db'}")
    yield engine
    engine.dispose()


def model_file(tmp_path: Path, name: str, age: float = 0) -> Path:
    path = tmp_path / name
    path.write_bytes(b"model")
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def test_promotions_keep_history_and_the_previous_live_model(engine, tmp_path):
    first, second = model_file(tmp_path, "a.tar.gz"), model_file(tmp_path, "b.tar.gz")
    for path in (first, second):
        registry.register(engine, path, "anna")
        with engine.begin() as conn:
            registry.mark_live(conn, path.name, "anna")
    assert registry.live(engine)["name"] == "b.tar.gz"
    assert registry.previous_live(engine)["name"] == "a.tar.gz"
    assert [m["status"] for m in registry.all_models(engine)] == ["live", "retired"]
    assert registry.register(engine, first, "ben")["created_by"] == "anna"  # known models stay as they are
    with pytest.raises(NotFound):
        registry.get(engine, "missing.tar.gz")


def test_start_up_uses_the_latest_decision(tmp_path):
    current = model_file(tmp_path, "current.tar.gz", age=100)
    promoted = model_file(tmp_path, "promoted.tar.gz", age=200)
    live = {"path": str(promoted), "exists": True, "promoted_at": time.time() - 10}
    assert registry.choose_model_to_run(live, current) == promoted  # promoted after the last training
    live["promoted_at"] = time.time() - 1000
    assert registry.choose_model_to_run(live, current) == current  # data changed and was trained since
    assert registry.choose_model_to_run(None, current) == current
    assert registry.choose_model_to_run({**live, "exists": False, "promoted_at": time.time()}, current) == current
