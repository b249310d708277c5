"""Typed settings of the gateway process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, validator

from bot.infra.paths import HANDOFF_TEAMS_FILE
from bot.staff.settings import StaffSettings
from channels.telegram import TelegramConfig

from .api_keys import parse_digests
from .limits import LimitConfig
from .middleware import Network, parse_networks


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
    # The backend's service token for its internal routes (appointments in the staff console);
    # `buergerbot run` generates one per start. Unset: the console's appointment views answer 503.
    backend_token: SecretStr | None = None
    # Generous: while Rasa loads a promoted model (about 5 s on 2 cores) it answers nothing,
    # and a citizen's message must wait rather than fail.
    rasa_timeout_seconds: float = Field(30.0, gt=0)
    max_message_chars: int = 2000
    # Limits keyed on what a caller cannot choose: the client address (see trusted_proxies), an
    # API key, a Telegram chat.
    rate_limit_per_minute: int = Field(20, gt=0)  # messages per client address (or Telegram chat)
    api_rate_limit_per_minute: int = Field(600, gt=0)  # messages per API key
    sessions_per_minute: int = Field(10, gt=0)  # new web-chat conversations per client address
    websockets_per_client: int = Field(5, gt=0)
    max_websockets: int = Field(500, gt=0)
    # Rasa calls awaiting an answer; one more gets a "busy" answer at once instead of a queue.
    max_rasa_in_flight: int = Field(32, gt=0)
    max_body_bytes: int = Field(1_048_576, gt=0)  # larger request bodies get 413
    # Comma-separated addresses or networks of our reverse proxies; only for a peer in this list is
    # X-Forwarded-For read (its right-most hop that is not one of them). Empty: the socket peer counts.
    trusted_proxies: str = ""
    # Comma-separated SHA-256 hex digests of the keys /api/chat accepts in X-API-Key (none: /api/chat is closed).
    api_keys: str = ""

    # Human handoff (docs/handoff.md).
    handoff_teams_file: Path = HANDOFF_TEAMS_FILE
    handoff_agent_grace_seconds: float = Field(60.0, ge=0)  # a console gone this long returns its chats
    handoff_max_wait_seconds: float = Field(600.0, gt=0)  # then a callback is offered to the waiting citizen
    handoff_show_agent_names: bool = False  # citizens see the team, not the agent's name

    telegram_bot_token: SecretStr | None = Field(None, env="TELEGRAM_BOT_TOKEN")
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_webhook_secret: SecretStr | None = None
    # Public HTTPS URL of /telegram/webhook; when set, the gateway registers it at start-up.
    telegram_webhook_url: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"

    @validator("telegram_bot_token", "telegram_webhook_secret", "telegram_webhook_url", pre=True)
    def _empty_is_unset(cls, value: object) -> object:  # noqa: N805 - pydantic validator signature
        return value or None

    @validator("trusted_proxies")
    def _networks(cls, value: str) -> str:  # noqa: N805 - pydantic validator signature
        parse_networks(value)
        return value

    @validator("api_keys")
    def _digests(cls, value: str) -> str:  # noqa: N805 - pydantic validator signature
        parse_digests(value)
        return value

    def trusted_proxy_networks(self) -> list[Network]:
        return parse_networks(self.trusted_proxies)

    def api_key_digests(self) -> frozenset[str]:
        return parse_digests(self.api_keys)

    def limit_config(self) -> LimitConfig:
        return LimitConfig(
            messages_per_minute=self.rate_limit_per_minute,
            api_messages_per_minute=self.api_rate_limit_per_minute,
            sessions_per_minute=self.sessions_per_minute,
            connections_per_client=self.websockets_per_client,
            max_connections=self.max_websockets,
            max_rasa_in_flight=self.max_rasa_in_flight,
        )

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
