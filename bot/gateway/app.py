"""Gateway app factory: the only public face. Web chat, Telegram, /api/chat, /health and the
staff console (/staff)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bot.http_errors import register_validation_handler
from bot.rasa_client import RasaClient
from bot.staff import jobs
from bot.staff.errors import StaffError
from bot.staff.ratings import rate
from bot.staff.context import StaffContext
from bot.staff.settings import StaffSettings
from bot.staff.settings import get_settings as get_staff_settings
from channels import telegram
from channels.webchat import router as webchat

from .chat import ChatService
from .routes import chat, health, staff
from .sessions import SessionSigner
from .settings import GatewaySettings, get_settings

logger = logging.getLogger(__name__)


def staff_rating(app: FastAPI) -> telegram.Rate:
    """Citizens' ratings go to the staff database (off the event loop: it is a blocking call)."""

    async def rate_answer(sender: str, ref: str, value: int) -> None:
        try:
            await asyncio.to_thread(rate, app.state.staff.staff, sender, ref, value)
        except StaffError:
            logger.warning("rating from %s for %r refused", sender, ref)

    return rate_answer


def create_app(settings: GatewaySettings | None = None, staff_settings: StaffSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds, settings.rasa_token_value)
        app.state.staff = StaffContext.open(staff_settings or get_staff_settings())
        jobs.abandon_running(app.state.staff.staff)
        app.state.chat = ChatService(rasa, max_chars=settings.max_message_chars,
                                     per_minute=settings.rate_limit_per_minute)
        app.state.telegram = None
        if settings.telegram_bot_token is not None:
            if settings.telegram_mode == "webhook" and settings.telegram_webhook_secret is None:
                raise RuntimeError("BUERGERBOT_TELEGRAM_WEBHOOK_SECRET must be set for the Telegram webhook")
            app.state.telegram = telegram.TelegramChannel(settings, app.state.chat, rate=staff_rating(app))
            await app.state.telegram.start()
        else:
            logger.info("Telegram is off (TELEGRAM_BOT_TOKEN not set)")
        yield
        if app.state.telegram is not None:
            await app.state.telegram.stop()
        await rasa.aclose()
        app.state.staff.close()

    app = FastAPI(title="Bürgerbot Gateway", version="0.1.0", lifespan=lifespan,
                  description="Öffentlicher Zugang zum Bürgerbot: Web-Chat, Telegram und eine einfache Chat-API.")
    app.state.settings = settings
    app.state.signer = SessionSigner(settings.secret_key.get_secret_value())
    app.state.telegram = None
    # The widget runs on the city's own pages: its HTTP fallback is a cross-origin request.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["POST"], allow_headers=["Content-Type"])
    for router in (webchat.router, chat.router, health.router, telegram.router, staff.router):
        app.include_router(router)
    register_validation_handler(app)
    staff.register_error_handler(app)

    return app
