"""Typed settings of the action server process."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from bot.infra.settings import CommonSettings


class ActionSettings(CommonSettings):
    backend_url: str = "http://127.0.0.1:8001"
    # Total time the backend may take; the citizen must have an answer within 3 seconds.
    backend_timeout_seconds: float = Field(2.5, gt=0, le=10)
    case_check_max_failures: int = 5  # per conversation, then the conversation is locked
    case_check_lock_minutes: int = 15


@lru_cache
def get_settings() -> ActionSettings:
    return ActionSettings()
