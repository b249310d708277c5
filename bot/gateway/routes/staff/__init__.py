"""The staff console (/staff): login, NLU inbox, export, retraining, models, dashboard, audit log, live chat,
appointments.

Pages are static files driven by the console's scripts over the JSON API of the modules here,
one per concern. Every route except the login page, its script and styles, /staff/api/csrf and
/staff/api/login needs a session; every state change needs the session's CSRF token in the
X-CSRF-Token header (see `deps`). Staff domain errors (`bot.staff.errors`) become JSON with
German text in `register_error_handler`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from bot.staff.errors import StaffError

from . import appointments, audit, auth, catalogue, dashboard, inbox, live, models, pages, training

# Reachable without a session (the file route also serves login.html and every *.css publicly).
PUBLIC_ROUTES = {"/staff/login", "/staff/login.js", "/staff/console.css", "/staff/api/csrf", "/staff/api/login"}

router = APIRouter(prefix="/staff")
router.add_api_route("", pages.console_page, methods=["GET"], include_in_schema=False, tags=pages.router.tags)
for _module in (
    auth,
    inbox,
    training,
    models,
    dashboard,
    audit,
    catalogue,
    live,
    appointments,
    pages,
):  # pages last: its /{name} is a catch-all
    router.include_router(_module.router)


def register_error_handler(app: FastAPI) -> None:
    """Staff domain errors become JSON with German text, at this one edge."""

    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StaffError)  # registered for this type only
        return JSONResponse(status_code=exc.status, content={"detail": exc.text, "code": exc.code})

    app.add_exception_handler(StaffError, handler)


__all__ = ["PUBLIC_ROUTES", "register_error_handler", "router"]
