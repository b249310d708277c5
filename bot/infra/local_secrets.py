"""Secrets for a single-machine setup: from the environment, or generated once under var/ (mode 600)."""

from __future__ import annotations

import os
import secrets

from bot.infra.paths import VAR_DIR

SECRET_KEY = ("BUERGERBOT_SECRET_KEY", "secret_key")  # signs web-chat sessions
RASA_TOKEN = ("BUERGERBOT_RASA_TOKEN", "rasa_token")  # guards Rasa's HTTP API


def existing_local_secret(spec: tuple[str, str]) -> str | None:
    """The secret from the environment or var/, or None when neither has it."""
    variable, file_name = spec
    if os.environ.get(variable):
        return os.environ[variable]
    path = VAR_DIR / file_name
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


def local_secret(spec: tuple[str, str]) -> str:
    """The secret from the environment or var/, generated there (mode 600) the first time."""
    found = existing_local_secret(spec)
    if found is not None:
        return found
    path = VAR_DIR / spec[1]
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()
