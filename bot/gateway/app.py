"""Gateway app factory: the only public face. Web chat, Telegram, /api/chat, /health and the
staff console (/staff). Here the chat core (`ChatService`) is wired to the channel adapters,
which know it only as a `channels.port.ChatPort`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bot.infra.http_errors import register_validation_handler
from bot.infra.rasa_client import RasaClient
from bot.staff import jobs
from bot.staff.context import StaffContext
from bot.staff.errors import StaffError
from bot.staff.promotion import adopt_running_model
from bot.staff.ratings import rate
from bot.staff.teams import load_teams
from channels import telegram
from channels.port import InvalidRating
from channels.webchat import router as webchat
from channels.webchat.sessions import SessionSigner

from .api_keys import ApiKeys
from .attachments import BackendFiles
from .chat import ChatService, RatingStore
from .conversations import ConversationMemory
from .handoff.desk import HandoffConfig, HandoffDesk
from .limits import MemoryLimits
from .middleware import BodyLimitMiddleware, ClientAddressMiddleware
from .routes import appointments, assets, chat, health, staff
from .settings import GatewaySettings, get_settings

logger = logging.getLogger(__name__)


def rating_store(staff_engine: sa.engine.Engine) -> RatingStore:
    """Citizens' ratings go to the staff database (off the event loop: it is a blocking call)."""

    async def store(sender: str, ref: str, value: int) -> None:
        try:
            await asyncio.to_thread(rate, staff_engine, sender, ref, value)
        except StaffError as exc:
            raise InvalidRating(exc.text) from exc

    return store


def create_app(
    settings: GatewaySettings | None = None,
    rasa_transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The gateway; `rasa_transport` replaces the network between gateway and Rasa, `clock` the
    time the handoff desk goes by (service hours, grace periods) (tests)."""
    settings = settings or get_settings()
    staff_context = StaffContext.open(settings)
    rasa = RasaClient(
        settings.rasa_url, settings.rasa_timeout_seconds, settings.rasa_token_value, transport=rasa_transport
    )
    conversations = ConversationMemory()
    files = BackendFiles(settings.backend_url)
    desk = HandoffDesk(
        staff_context.staff,
        staff_context.tracker,
        load_teams(settings.handoff_teams_file),
        rasa,
        HandoffConfig(
            agent_grace_seconds=settings.handoff_agent_grace_seconds,
            max_wait_seconds=settings.handoff_max_wait_seconds,
            show_agent_names=settings.handoff_show_agent_names,
        ),
        remember=conversations.record,
        clock=clock,
    )
    chat_service = ChatService(
        rasa,
        max_chars=settings.max_message_chars,
        limits=MemoryLimits(settings.limit_config()),
        ratings=rating_store(staff_context.staff),
        conversations=conversations,
        desk=desk,
        files=files,
    )
    telegram_config = settings.telegram_config()
    telegram_channel = telegram.TelegramChannel(telegram_config, chat_service) if telegram_config else None
    if telegram_channel is not None:
        desk.hub.register_channel("telegram:", telegram_channel.deliver)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs.abandon_running(staff_context.staff)
        # The registry learns which model Rasa runs here, not on a GET (reads never write).
        await asyncio.to_thread(adopt_running_model, settings, staff_context.staff)
        if telegram_channel is not None:
            await telegram_channel.start()
        else:
            logger.info("Telegram is off (TELEGRAM_BOT_TOKEN not set)")
        await desk.start()
        yield
        await desk.stop()
        if telegram_channel is not None:
            await telegram_channel.stop()
        await rasa.aclose()
        await files.aclose()
        staff_context.close()

    app = FastAPI(
        title="Bürgerbot Gateway",
        version="0.1.0",
        lifespan=lifespan,
        description="Öffentlicher Zugang zum Bürgerbot: Web-Chat, Telegram und eine einfache Chat-API.",
    )
    app.state.settings = settings
    app.state.staff = staff_context
    app.state.rasa = rasa
    app.state.chat = chat_service
    app.state.desk = desk
    app.state.telegram = telegram_channel
    app.state.api_keys = ApiKeys(settings.api_key_digests())
    # The widget runs on the city's own pages: its HTTP fallback is a cross-origin request.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["POST"], allow_headers=["Content-Type"])
    # Added last, so they run first: the body limit before anything reads a body, and the real
    # client address before anything counts it.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ClientAddressMiddleware, trusted_proxies=settings.trusted_proxy_networks())
    signer = SessionSigner(settings.secret_key.get_secret_value())
    for router in (
        webchat.create_router(chat_service, signer),
        chat.router,
        health.router,
        telegram.create_router(telegram_channel),
        appointments.router,
        staff.router,
        assets.router,
    ):
        app.include_router(router)
    register_validation_handler(app)
    staff.register_error_handler(app)
    return app
