"""Gateway app factory: the only public face. Web chat, Telegram, /api/chat and /health."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bot.http_errors import register_validation_handler
from bot.rasa_client import RasaClient
from channels import telegram
from channels.webchat import router as webchat

from .chat import ChatService
from .routes import chat, health
from .sessions import SessionSigner
from .settings import GatewaySettings, get_settings

logger = logging.getLogger(__name__)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
        app.state.chat = ChatService(rasa, max_chars=settings.max_message_chars,
                                     per_minute=settings.rate_limit_per_minute)
        app.state.telegram = None
        if settings.telegram_bot_token is not None:
            if settings.telegram_mode == "webhook" and settings.telegram_webhook_secret is None:
                raise RuntimeError("BUERGERBOT_TELEGRAM_WEBHOOK_SECRET must be set for the Telegram webhook")
            app.state.telegram = telegram.TelegramChannel(settings, app.state.chat)
            await app.state.telegram.start()
        else:
            logger.info("Telegram is off (TELEGRAM_BOT_TOKEN not set)")
        yield
        if app.state.telegram is not None:
            await app.state.telegram.stop()
        await rasa.aclose()

    app = FastAPI(title="Bürgerbot Gateway", version="0.1.0", lifespan=lifespan,
                  description="Öffentlicher Zugang zum Bürgerbot: Web-Chat, Telegram und eine einfache Chat-API.")
    app.state.settings = settings
    app.state.signer = SessionSigner(settings.secret_key.get_secret_value())
    app.state.telegram = None
    # The widget runs on the city's own pages: its HTTP fallback is a cross-origin request.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["POST"], allow_headers=["Content-Type"])
    for router in (webchat.router, chat.router, health.router, telegram.router):
        app.include_router(router)
    register_validation_handler(app)

    return app
