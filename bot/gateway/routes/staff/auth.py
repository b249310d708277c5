"""Signing in and out: the login form's CSRF token, login, logout and who is signed in."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from bot.staff import audit
from bot.staff.accounts import Role, authenticate
from bot.staff.auth_sessions import close_session, open_session

from .deps import (
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    ActingUser,
    CurrentSession,
    Staff,
    Throttle,
    client_address,
)
from .schemas import CHANGE, OkOut, errors

LOGIN_REFUSED = "Die Anmeldung wurde abgelehnt: bitte laden Sie die Seite neu."

router = APIRouter(prefix="/api", tags=["staff: Anmeldung"])


class CsrfOut(BaseModel):
    csrf: str = Field(..., description="Send back in the X-CSRF-Token header of POST /staff/api/login.")


class LoginIn(BaseModel):
    name: str = Field(..., max_length=64)
    password: str = Field(..., max_length=1024)


class SessionOut(BaseModel):
    """The signed-in user and the session's CSRF token (X-CSRF-Token header of every state change)."""

    name: str
    role: Role
    csrf: str


@router.get("/csrf", response_model=CsrfOut, summary="CSRF token for the login form (double-submit cookie)")
def login_csrf(response: Response) -> CsrfOut:
    token = secrets.token_urlsafe(32)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/staff", max_age=3600)
    return CsrfOut(csrf=token)


@router.post(
    "/login", response_model=SessionOut, summary="Sign in (sets the session cookie)", responses=errors(401, 403, 429)
)
def login(body: LoginIn, request: Request, response: Response, ctx: Staff, throttle: Throttle) -> SessionOut:
    cookie, header = request.cookies.get(LOGIN_CSRF_COOKIE), request.headers.get(CSRF_HEADER)
    if not cookie or not header or not secrets.compare_digest(cookie, header):
        raise HTTPException(status_code=403, detail=LOGIN_REFUSED)
    # Throttled per client and counted per name before the password is checked (bot.staff.accounts).
    user = authenticate(ctx.staff, body.name, body.password, client=client_address(request), throttle=throttle)
    token, session = open_session(ctx.staff, user, ctx.settings.session_hours)
    with ctx.staff.begin() as conn:
        audit.record(conn, user.name, "login")
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
    return SessionOut(name=user.name, role=user.role, csrf=session.csrf_token)


@router.post("/logout", response_model=OkOut, summary="Sign out (ends the session)", responses=CHANGE)
def logout(request: Request, response: Response, user: ActingUser, ctx: Staff) -> OkOut:
    close_session(ctx.staff, request.cookies.get(SESSION_COOKIE, ""))
    with ctx.staff.begin() as conn:
        audit.record(conn, user.name, "logout")
    response.delete_cookie(SESSION_COOKIE, path="/staff")
    return OkOut(ok=True)


@router.get("/me", response_model=SessionOut, summary="The signed-in user", responses=errors(401))
def me(session: CurrentSession) -> SessionOut:
    return SessionOut(name=session.user.name, role=session.user.role, csrf=session.csrf_token)
