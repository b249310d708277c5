"""Environment for Rasa subprocesses: telemetry and error reporting off (no network, DSGVO)."""
from __future__ import annotations

import os


def rasa_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", **extra}
