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
    # Staff rule: comma-separated intents for which a person is offered (BUERGERBOT_HANDOFF_OFFER_INTENTS).
    # `human_handoff` and "not understood twice" always offer. Only intents whose rule runs
    # action_offer_handoff (data/rules.yml: human_handoff, complain) can be switched here.
    handoff_offer_intents: str = "complain"
    # The gateway's public address: the .ics download links in booking answers start with it.
    public_base_url: str = "http://127.0.0.1:8000"


@lru_cache
def get_settings() -> ActionSettings:
    return ActionSettings()
