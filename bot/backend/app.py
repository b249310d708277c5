"""Backend app factory: database, seeding, routers and the one place errors become HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.backend.appointments.codes import load_secret
from bot.backend.cases import utc_now
from bot.backend.errors import AppointmentError, CaseLocked, CaseNotVerified, NotFound
from bot.backend.settings import BackendSettings, get_settings
from bot.core.catalogue import CatalogueError
from bot.infra.http_errors import register_validation_handler

from .db import make_engine, make_session_factory
from .mail.worker import worker_from_settings  # also registers the outbox table
from .routes import appointments, appointments_staff, cases, catalogue, health, offices, services
from .routes.appointment_errors import appointment_error_response
from .seed import seed, upgrade_schema
from .tables import Base

logger = logging.getLogger(__name__)

_KIND_DE = {
    "service": "Leistung",
    "office": "Dienststelle",
    "case": "Vorgang",
    "booking": "Buchung",
    "closure": "Schließzeit",
}


def create_app(settings: BackendSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.effective_database_url)
        Base.metadata.create_all(engine)
        upgrade_schema(engine)
        app.state.session_factory = make_session_factory(engine)
        secret = settings.appointment_secret.get_secret_value() if settings.appointment_secret else None
        app.state.appointment_secret = load_secret(secret, settings.data_dir)
        with app.state.session_factory() as session:
            seed(session, settings.catalogue_dir)
        app.state.mail_worker = worker_from_settings(settings, app.state.session_factory)
        if app.state.mail_worker is not None:
            await app.state.mail_worker.start()
        logger.info("backend ready")
        yield
        if app.state.mail_worker is not None:
            await app.state.mail_worker.stop()
        engine.dispose()

    app = FastAPI(
        title="Bürgerbot Service-Backend",
        description="Leistungskatalog, Dienststellen und Vorgangsstatus der Stadtverwaltung.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.dependency_overrides[get_settings] = lambda: settings
    for router in (
        services.router,
        offices.router,
        cases.router,
        catalogue.router,
        appointments.router,
        appointments_staff.router,
        health.router,
    ):
        app.include_router(router)
    _register_error_handlers(app)
    return app


def _register_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        kind = _KIND_DE.get(exc.kind, exc.kind)
        return JSONResponse(status_code=404, content={"detail": f"{kind} '{exc.key}' nicht gefunden."})

    @app.exception_handler(CatalogueError)
    async def bad_catalogue(_request: Request, exc: CatalogueError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "detail": "Der Katalog enthält Fehler und wurde nicht geladen; der bisherige Katalog gilt weiter.",
                "problems": exc.problems,
            },
        )

    @app.exception_handler(CaseNotVerified)
    async def not_verified(_request: Request, exc: CaseNotVerified) -> JSONResponse:
        return JSONResponse(
            status_code=403,
            content={"detail": "Aktenzeichen oder Zugangscode stimmen nicht.", "attempts_left": exc.attempts_left},
        )

    @app.exception_handler(CaseLocked)
    async def locked(_request: Request, exc: CaseLocked) -> JSONResponse:
        retry_after = max(1, int((exc.until - utc_now()).total_seconds()))
        return JSONResponse(
            status_code=423,
            headers={"Retry-After": str(retry_after)},
            content={
                "detail": "Zu viele Fehlversuche. Die Abfrage ist vorübergehend gesperrt.",
                "retry_after_seconds": retry_after,
            },
        )

    @app.exception_handler(AppointmentError)
    async def appointment_error(_request: Request, exc: AppointmentError) -> JSONResponse:
        return appointment_error_response(exc)

    register_validation_handler(app)
