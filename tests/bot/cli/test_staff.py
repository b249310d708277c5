"""The staff steps on the command line, against real databases in a temporary data directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.infra.paths import DATA_DIR, REPO_ROOT
from tests.conftest import FAST_CONFIG


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    training = tmp_path / "training-data"
    shutil.copytree(DATA_DIR, training, ignore=shutil.ignore_patterns("catalogue"))
    return {
        **os.environ,
        "BUERGERBOT_DATA_DIR": str(tmp_path),
        "BUERGERBOT_TRAINING_DATA_DIR": str(training),
        "BUERGERBOT_TRACKER_DATABASE_URL": "",
        "BUERGERBOT_STAFF_DATABASE_URL": "",
        "BUERGERBOT_RASA_URL": "http://127.0.0.1:9",
        "BUERGERBOT_MODELS_DIR": str(tmp_path / "models"),
        "BUERGERBOT_TRAINING_CONFIG": str(FAST_CONFIG),
    }


def buergerbot(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_accounts_review_export_and_audit_from_the_terminal(env):
    created = buergerbot(
        env, "staff", "add", "anna", "--role", "admin", "--password-stdin", stdin="ein langes Passwort\n"
    )
    assert created.returncode == 0 and "Konto anna (admin) angelegt" in created.stdout
    again = buergerbot(
        env, "staff", "add", "anna", "--role", "admin", "--password-stdin", stdin="ein langes Passwort\n"
    )
    assert again.returncode == 1 and "gibt es schon" in again.stderr
    assert "anna" in buergerbot(env, "staff", "list").stdout
    assert "Keine Nachrichten" in buergerbot(env, "review", "list", "--fallback").stdout
    missing = buergerbot(env, "review", "confirm", "4711")
    assert missing.returncode == 1 and "nicht gefunden" in missing.stderr
    exported = buergerbot(env, "export")
    assert exported.returncode == 0 and "0 Beispiele" in exported.stdout
    refused = buergerbot(env, "promote", "buergerbot-unbekannt.tar.gz")
    assert refused.returncode == 1 and "nicht gefunden" in refused.stderr
    audit = buergerbot(env, "audit").stdout
    assert "staff.add" in audit and "export" in audit and "ein langes Passwort" not in audit


@pytest.mark.slow
def test_retrain_evaluate_and_list_models_from_the_terminal(env):
    retrained = buergerbot(env, "retrain")
    assert retrained.returncode == 0, retrained.stderr[-2000:]
    assert "100%" in retrained.stderr and "Fertig" in retrained.stderr  # the progress bar
    assert "Kandidat buergerbot-" in retrained.stdout and "Testdatensatz" in retrained.stdout
    name = retrained.stdout.split("Kandidat ", 1)[1].split(":", 1)[0]
    assert name in buergerbot(env, "models").stdout
    evaluated = buergerbot(env, "evaluate", name)
    assert evaluated.returncode == 0 and "Makro-F1" in evaluated.stdout and "greet" in evaluated.stdout
    unreachable = buergerbot(env, "promote", name)  # no Rasa server: nothing changes, a clear message
    assert unreachable.returncode == 1 and "nicht erreichbar" in unreachable.stderr
    assert "candidate" in buergerbot(env, "models").stdout
