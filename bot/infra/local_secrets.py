"""Secrets for a single-machine setup: from the environment, or generated once under var/ (mode 600)."""

from __future__ import annotations

import os
import secrets

from bot.infra.paths import VAR_DIR

SECRET_KEY = ("BUERGERBOT_SECRET_KEY", "secret_key")  # signs web-chat sessions
RASA_TOKEN = ("BUERGERBOT_RASA_TOKEN", "rasa_token")  # guards Rasa's HTTP API


def local_secret(spec: tuple[str, str], create: bool = True) -> str | None:
    variable, file_name = spec
    if os.environ.get(variable):
        return os.environ[variable]
    path = VAR_DIR / file_name
    if not path.exists():
        if not create:
            return None
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()
