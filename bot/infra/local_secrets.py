"""Secrets for a single-machine setup: from the environment, or generated once under var/ (mode 600,
in a directory only the owner can enter)."""

from __future__ import annotations

import os
import secrets

from bot.infra.paths import PRIVATE_FILE_MODE, VAR_DIR, ensure_private_dir, write_private_text

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
    """The secret from the environment or var/, generated there the first time. var/ is made 0700
    and the file 0600 (also when an older run left them wider)."""
    found = existing_local_secret(spec)
    path = VAR_DIR / spec[1]
    if found is not None:
        if path.exists():
            ensure_private_dir(VAR_DIR)
            path.chmod(PRIVATE_FILE_MODE)
        return found
    ensure_private_dir(VAR_DIR)
    write_private_text(path, secrets.token_urlsafe(32))
    return path.read_text(encoding="utf-8").strip()
