"""Typed settings of the gateway process."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, validator

from bot.staff.settings import StaffSettings
from channels.telegram import TelegramConfig


class GatewaySettings(StaffSettings):
    """The gateway process's one settings object: the public chat side, plus the staff
    console's settings it inherits (the console runs inside the gateway)."""

    host: str = "127.0.0.1"
    port: int = 8000
    # Signs web-chat session ids so they cannot be forged. Required: `make run` generates one
    # under var/ when it is not set.
    secret_key: SecretStr = Field(..., env="BUERGERBOT_SECRET_KEY")
    actions_url: str = "http://127.0.0.1:5055"
    backend_url: str = "http://127.0.0.1:8001"
    # Generous: while Rasa loads a promoted model (about 5 s on 2 cores) it answers nothing,
    # and a citizen's message must wait rather than fail.
    rasa_timeout_seconds: float = Field(30.0, gt=0)
    max_message_chars: int = 2000
    rate_limit_per_minute: int = 20

    telegram_bot_token: SecretStr | None = Field(None, env="TELEGRAM_BOT_TOKEN")
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_webhook_secret: SecretStr | None = None
    # Public HTTPS URL of /telegram/webhook; when set, the gateway registers it at start-up.
    telegram_webhook_url: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"

    @validator("telegram_bot_token", "telegram_webhook_secret", "telegram_webhook_url", pre=True)
    def _empty_is_unset(cls, value: object) -> object:  # noqa: N805 - pydantic validator signature
        return value or None

    def telegram_config(self) -> TelegramConfig | None:
        """The Telegram adapter's configuration, or None while no bot token is set."""
        if self.telegram_bot_token is None:
            return None
        secret = self.telegram_webhook_secret
        return TelegramConfig(
            bot_token=self.telegram_bot_token.get_secret_value(),
            mode=self.telegram_mode,
            webhook_secret=secret.get_secret_value() if secret else None,
            webhook_url=self.telegram_webhook_url,
            api_base_url=self.telegram_api_base_url,
        )


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
