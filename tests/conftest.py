"""Shared fixtures: free ports, a real backend server, the trained model and the whole stack."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.launcher.processes import Stack, free_port, free_ports

__all__ = ["free_port", "free_ports"]  # tests import them from here too


TEST_API_KEY = "buergerbot-test-api-key"  # X-API-Key of /api/chat on every test stack
API_HEADERS = {"X-API-Key": TEST_API_KEY}

FAST_CONFIG = Path(__file__).parent / "fixtures" / "config-fast.yml"


def stack_env(tmp: Path) -> dict[str, str]:
    """Everything a stack writes stays in `tmp`: databases, and for the staff console's retraining
    a copy of the training data (never the repository's data/) and its own models directory."""
    from bot.infra.paths import DATA_DIR

    training = tmp / "training-data"
    if not training.exists():
        shutil.copytree(DATA_DIR, training, ignore=shutil.ignore_patterns("catalogue"))
    return {
        "BUERGERBOT_DATA_DIR": str(tmp),
        "BUERGERBOT_DATABASE_URL": "",
        "BUERGERBOT_SECRET_KEY": secrets.token_urlsafe(32),
        "TELEGRAM_BOT_TOKEN": "",
        "BUERGERBOT_TRACKER_DATABASE_URL": "",
        "BUERGERBOT_STAFF_DATABASE_URL": "",
        "BUERGERBOT_TRAINING_DATA_DIR": str(training),
        "BUERGERBOT_MODELS_DIR": str(tmp / "models"),
        "BUERGERBOT_TRAINING_CONFIG": str(FAST_CONFIG),
        "BUERGERBOT_API_KEYS": hashlib.sha256(TEST_API_KEY.encode()).hexdigest(),
        # Every test client is 127.0.0.1: the per-client limits are tested on their own.
        "BUERGERBOT_RATE_LIMIT_PER_MINUTE": "1000",
        "BUERGERBOT_SESSIONS_PER_MINUTE": "1000",
        "BUERGERBOT_LOGIN_ATTEMPTS_PER_CLIENT": "1000",
    }


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Trained once per test run; reused across runs while data, config and domain are unchanged."""
    from bot.training.model import ensure_model

    return ensure_model()


@pytest.fixture(scope="session")
def backend_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A real backend (uvicorn, SQLite in a temp dir) on a free port."""
    tmp = tmp_path_factory.mktemp("backend")
    stack = Stack(free_ports(), model=Path("unused"), env=stack_env(tmp), log_dir=tmp / "logs")
    stack.start(("backend",))
    try:
        stack.wait_ready(timeout=60)
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def backend_url(backend_stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Points the action server's settings at the test backend."""
    from actions.settings import get_settings

    monkeypatch.setenv("BUERGERBOT_BACKEND_URL", backend_stack.backend_url)
    get_settings.cache_clear()
    yield backend_stack.backend_url
    get_settings.cache_clear()


@contextmanager
def running(stack: Stack, timeout: float = 300) -> Iterator[Stack]:
    """Start every process of `stack`, wait until ready, stop at the end (on CI, print log tails)."""
    stack.start()
    try:
        stack.wait_ready(timeout=timeout)
        yield stack
    finally:
        stack.stop()
        if os.environ.get("CI"):
            for log in stack.log_dir.glob("*.log"):
                print(f"--- {log.name} (tail) ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:]))


@pytest.fixture(scope="session")
def full_stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Backend, action server and Rasa server on free loopback ports."""
    tmp = tmp_path_factory.mktemp("stack")
    with running(Stack(free_ports(), model=trained_model, env=stack_env(tmp), log_dir=tmp / "logs")) as stack:
        yield stack
