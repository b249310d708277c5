"""The staff console (/staff): login, NLU inbox, export, retraining, models, dashboard, audit log.

Pages are static files driven by console.js over the JSON API below. Every route except the
login page, its script and styles, /staff/api/csrf and /staff/api/login needs a session;
every state change needs the session's CSRF token in the X-CSRF-Token header.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from bot.gateway.staff_auth import (
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    ActingAdmin,
    ActingUser,
    AdminUser,
    Staff,
    StaffUserDep,
    current_session,
)
from bot.staff import audit, export, jobs, registry
from bot.staff.accounts import authenticate
from bot.staff.auth_sessions import close_session, find_session, open_session
from bot.staff.charts import bar_chart
from bot.staff.dashboard import dashboard
from bot.staff.errors import NotFound, StaffError
from bot.staff.inbox import InboxFilter, list_messages
from bot.staff.promotion import promote, rollback
from bot.staff.retrain import retrain
from bot.staff.reviews import bulk_confirm, domain_labels, review

STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "staff"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
PUBLIC_ROUTES = {"/staff/login", "/staff/login.js", "/staff/console.css", "/staff/api/csrf", "/staff/api/login"}

router = APIRouter(prefix="/staff", tags=["staff"])


def _file(name: str, media_type: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=PAGE_HEADERS)


# --- pages -------------------------------------------------------------------------------------
@router.get("", include_in_schema=False)
def console_page(request: Request, ctx: Staff) -> Response:
    if find_session(ctx.staff, request.cookies.get(SESSION_COOKIE)) is None:
        return RedirectResponse("/staff/login", status_code=303)
    return _file("console.html", "text/html")


@router.get("/login", include_in_schema=False)
def login_page() -> FileResponse:
    return _file("login.html", "text/html")


@router.get("/login.js", include_in_schema=False)
def login_js() -> FileResponse:
    return _file("login.js", "text/javascript")


@router.get("/console.css", include_in_schema=False)
def console_css() -> FileResponse:
    return _file("console.css", "text/css")


@router.get("/console.js", include_in_schema=False)
def console_js(_user: StaffUserDep) -> FileResponse:
    return _file("console.js", "text/javascript")


# --- login -------------------------------------------------------------------------------------
class LoginIn(BaseModel):
    name: str = Field(..., max_length=64)
    password: str = Field(..., max_length=1024)


@router.get("/api/csrf", summary="CSRF token for the login form (double-submit cookie)")
def login_csrf() -> JSONResponse:
    token = secrets.token_urlsafe(32)
    response = JSONResponse({"csrf": token}, headers={"Cache-Control": "no-store"})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/staff", max_age=3600)
    return response


@router.post("/api/login")
def login(body: LoginIn, request: Request, ctx: Staff) -> JSONResponse:
    cookie, header = request.cookies.get(LOGIN_CSRF_COOKIE), request.headers.get(CSRF_HEADER)
    if not cookie or not header or not secrets.compare_digest(cookie, header):
        raise HTTPException(status_code=403, detail="Die Anmeldung wurde abgelehnt: bitte laden Sie die Seite neu.")
    user = authenticate(ctx.staff, body.name, body.password)
    token, session = open_session(ctx.staff, user, ctx.settings.session_hours)
    with ctx.staff.begin() as conn:
        audit.record(conn, user.name, "login")
    response = JSONResponse({"name": user.name, "role": user.role, "csrf": session.csrf_token})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path="/staff",
        secure=ctx.settings.cookie_secure,
        max_age=int(ctx.settings.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/staff")
    return response


@router.post("/api/logout")
def logout(request: Request, user: ActingUser, ctx: Staff) -> JSONResponse:
    close_session(ctx.staff, request.cookies.get(SESSION_COOKIE, ""))
    with ctx.staff.begin() as conn:
        audit.record(conn, user.name, "logout")
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return response


@router.get("/api/me")
def me(request: Request) -> dict[str, Any]:
    session = current_session(request)
    return {"name": session.user.name, "role": session.user.role, "csrf": session.csrf_token}


# --- inbox and reviews ------------------------------------------------------------------------
@router.get("/api/labels")
def labels(_user: StaffUserDep, ctx: Staff) -> dict[str, list[str]]:
    intents, entities = domain_labels(ctx.settings.domain_file)
    return {"intents": intents, "entities": entities}


@router.get("/api/messages")
def messages(
    _user: StaffUserDep,
    ctx: Staff,
    low_confidence: bool = False,
    fallback: bool = False,
    intent: str | None = None,
    channel: Literal["web", "telegram", "api"] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    rated_down: bool = False,
    reviewed: bool | None = None,
    q: str | None = Query(None, max_length=200),
    before: int | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    flt = InboxFilter(
        low_confidence, fallback, intent or None, channel, date_from, date_to, rated_down, reviewed, q or None
    )
    items, cursor = list_messages(
        ctx.tracker,
        ctx.staff,
        flt,
        limit=limit,
        before=before,
        low_confidence=ctx.settings.low_confidence,
        zone=ctx.settings.timezone,
    )
    return {"items": [i.public() for i in items], "next": cursor, "low_confidence": ctx.settings.low_confidence}


class ReviewIn(BaseModel):
    decision: Literal["confirm", "correct", "discard"]
    intent: str | None = None
    entities: list[dict[str, str]] | None = None


@router.post("/api/messages/{event_id}/review")
def review_message(event_id: int, body: ReviewIn, user: ActingUser, ctx: Staff) -> dict[str, Any]:
    return review(
        ctx.tracker,
        ctx.staff,
        ctx.settings.domain_file,
        event_id=event_id,
        decision=body.decision,
        actor=user.name,
        intent=body.intent,
        entities=body.entities,
    )


class BulkIn(BaseModel):
    ids: list[int] = Field(..., max_items=500)


@router.post("/api/messages/bulk-confirm")
def bulk(body: BulkIn, user: ActingUser, ctx: Staff) -> dict[str, list[int]]:
    return bulk_confirm(ctx.tracker, ctx.staff, ctx.settings.domain_file, body.ids, user.name)


# --- export and conflicts ---------------------------------------------------------------------
@router.post("/api/export")
def export_reviewed(user: ActingUser, ctx: Staff) -> dict[str, Any]:
    result = export.export(
        ctx.staff, ctx.settings.training_data_dir / "nlu", ctx.settings.reviewed_export_file, user.name
    )
    return result.__dict__


@router.get("/api/conflicts")
def conflicts(_user: StaffUserDep, ctx: Staff) -> list[dict[str, Any]]:
    target = ctx.settings.reviewed_export_file
    _, result = export.plan(
        export.reviewed_examples(ctx.staff),
        export.existing_examples(ctx.settings.training_data_dir / "nlu", exclude=target),
    )
    return result.conflicts


class ResolveIn(BaseModel):
    key: str = Field(..., max_length=2000)
    intent: str | None = None  # None discards every review of the text


@router.post("/api/conflicts/resolve")
def resolve(body: ResolveIn, user: ActingUser, ctx: Staff) -> dict[str, int]:
    intents, _ = domain_labels(ctx.settings.domain_file)
    if body.intent is not None and body.intent not in intents:
        raise HTTPException(status_code=422, detail=f"Unbekannte Absicht {body.intent!r}.")
    return {"reviews": export.resolve_conflict(ctx.staff, body.key, body.intent, user.name)}


# --- retraining, models -----------------------------------------------------------------------
@router.post("/api/retrain", status_code=202)
def start_retrain(user: ActingUser, ctx: Staff) -> dict[str, Any]:
    job_id = jobs.start_in_background(
        ctx.staff, "retrain", user.name, lambda progress: retrain(ctx.settings, ctx.staff, user.name, progress)
    )
    return jobs.get(ctx.staff, job_id)


@router.get("/api/jobs")
def recent_jobs(_user: StaffUserDep, ctx: Staff) -> list[dict[str, Any]]:
    return jobs.recent(ctx.staff)


@router.get("/api/jobs/{job_id}")
def job(job_id: int, _user: StaffUserDep, ctx: Staff) -> dict[str, Any]:
    return jobs.get(ctx.staff, job_id)


@router.get("/api/models")
def models(_user: StaffUserDep, ctx: Staff) -> dict[str, Any]:
    from bot.staff.retrain import live_model

    live = live_model(ctx.settings, ctx.staff)
    return {
        "live": live["name"] if live else None,
        "models": registry.all_models(ctx.staff),
        "max_accuracy_drop": ctx.settings.max_accuracy_drop,
    }


@router.get("/api/models/{name}/confusion.png")
def confusion(name: str, _user: StaffUserDep, ctx: Staff) -> FileResponse:
    evaluation = registry.get(ctx.staff, name)["evaluation"] or {}
    picture = Path(evaluation.get("confusion_png") or "")
    if not picture.is_file():
        raise NotFound("Konfusionsmatrix von", name)
    return FileResponse(picture, media_type="image/png", headers={"Cache-Control": "no-store"})


class PromoteIn(BaseModel):
    reason: str | None = Field(None, max_length=2000)


@router.post("/api/models/{name}/promote")
def promote_model(name: str, body: PromoteIn, user: ActingAdmin, ctx: Staff) -> dict[str, Any]:
    return promote(ctx.settings, ctx.staff, name, user, body.reason)


class RollbackIn(BaseModel):
    name: str | None = None


@router.post("/api/models/rollback")
def rollback_model(body: RollbackIn, user: ActingAdmin, ctx: Staff) -> dict[str, Any]:
    return rollback(ctx.settings, ctx.staff, user, body.name)


# --- dashboard, audit log --------------------------------------------------------------------
@router.get("/api/dashboard")
def dashboard_data(_user: StaffUserDep, ctx: Staff, days: int = Query(30, ge=1, le=366)) -> dict[str, Any]:
    return dashboard(ctx.tracker, ctx.staff, days, ctx.settings.low_confidence, ctx.settings.timezone)


@router.get("/api/charts/{name}.svg")
def chart(
    name: Literal["messages", "intents", "ratings"],
    _user: StaffUserDep,
    ctx: Staff,
    days: int = Query(30, ge=1, le=366),
) -> Response:
    data = dashboard(ctx.tracker, ctx.staff, days, ctx.settings.low_confidence, ctx.settings.timezone)
    if name == "messages":
        rows = data["messages_per_day"]
        svg = bar_chart(
            f"Nachrichten pro Tag und Kanal (letzte {days} Tage)",
            [r["day"][5:] for r in rows],
            {
                "Web": [r["web"] for r in rows],
                "Telegram": [r["telegram"] for r in rows],
                "API": [r["api"] for r in rows],
            },
        )
    elif name == "intents":
        rows = data["top_intents"]
        svg = bar_chart("Häufigste Absichten", [r["intent"] for r in rows], {"Nachrichten": [r["count"] for r in rows]})
    else:
        rows = data["ratings"]["per_day"]
        svg = bar_chart(
            "Bewertungen pro Tag",
            [r["day"][5:] for r in rows],
            {"hilfreich": [r["up"] for r in rows], "nicht hilfreich": [r["down"] for r in rows]},
        )
    return Response(
        svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    )


@router.get("/api/audit")
def audit_log(_admin: AdminUser, ctx: Staff, limit: int = Query(200, ge=1, le=1000)) -> list[dict[str, Any]]:
    return audit.entries(ctx.staff, limit)


def register_error_handler(app: Any) -> None:
    """Staff domain errors become JSON with German text, at this one edge."""

    async def handler(_request: Request, exc: StaffError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.text, "code": exc.code})

    app.add_exception_handler(StaffError, handler)
