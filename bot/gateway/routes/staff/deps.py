"""Who is calling a /staff route: session cookie, CSRF token and role checks (FastAPI dependencies).

Use the aliases in route signatures: `Staff` (the staff tools' context), `StaffUserDep` (any
logged-in user, for reads), `ActingUser` (logged in and the session's CSRF token in the
X-CSRF-Token header, for state changes), `AdminUser` and `ActingAdmin` (the same, admins only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from bot.staff.accounts import StaffUser
from bot.staff.auth_sessions import StaffSession, find_session
from bot.staff.context import StaffContext
from bot.staff.errors import Forbidden
from bot.staff.login_throttle import InProcessThrottle, LoginThrottle

SESSION_COOKIE = "bb_staff"
LOGIN_CSRF_COOKIE = "bb_staff_login"
CSRF_HEADER = "X-CSRF-Token"
NOT_LOGGED_IN = "Bitte melden Sie sich an."
BAD_CSRF = "Die Anfrage wurde abgelehnt: CSRF-Token fehlt oder ist ungültig. Bitte laden Sie die Seite neu."


def staff_context(request: Request) -> StaffContext:
    context: StaffContext = request.app.state.staff
    return context


def login_throttle(request: Request) -> LoginThrottle:
    """The gateway's per-client login throttle, created on first use (tests override this)."""
    throttle: LoginThrottle | None = getattr(request.app.state, "staff_login_throttle", None)
    if throttle is None:
        context: StaffContext = request.app.state.staff
        throttle = InProcessThrottle(max_attempts=context.settings.login_attempts_per_client)
        request.app.state.staff_login_throttle = throttle
    return throttle


def client_address(request: Request) -> str:
    """The caller's address as uvicorn reports it (behind a proxy: run uvicorn with
    --proxy-headers and --forwarded-allow-ips, so this is the citizen's, not the proxy's)."""
    return request.client.host if request.client else "unknown"


def optional_session(request: Request) -> StaffSession | None:
    """The caller's session, or None (pages that redirect instead of refusing)."""
    return find_session(staff_context(request).staff, request.cookies.get(SESSION_COOKIE))


def current_session(request: Request) -> StaffSession:
    session = optional_session(request)
    if session is None:
        raise HTTPException(status_code=401, detail=NOT_LOGGED_IN)
    return session


def checked_session(request: Request, session: Annotated[StaffSession, Depends(current_session)]) -> StaffSession:
    """For state changes: the session's CSRF token must come back in a header (SameSite cookies
    alone do not cover every browser and sub-domain case)."""
    if not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise HTTPException(status_code=403, detail=BAD_CSRF)
    return session


def _user(session: Annotated[StaffSession, Depends(current_session)]) -> StaffUser:
    return session.user


def _acting_user(session: Annotated[StaffSession, Depends(checked_session)]) -> StaffUser:
    return session.user


def _admin_only(user: StaffUser) -> StaffUser:
    if not user.is_admin:
        raise Forbidden(user.name, "diese Aktion")
    return user


def _acting_admin(user: Annotated[StaffUser, Depends(_acting_user)]) -> StaffUser:
    return _admin_only(user)


def _admin(user: Annotated[StaffUser, Depends(_user)]) -> StaffUser:
    return _admin_only(user)


Staff = Annotated[StaffContext, Depends(staff_context)]
Throttle = Annotated[LoginThrottle, Depends(login_throttle)]
CurrentSession = Annotated[StaffSession, Depends(current_session)]  # the session itself (GET /api/me)
StaffUserDep = Annotated[StaffUser, Depends(_user)]  # read-only routes
ActingUser = Annotated[StaffUser, Depends(_acting_user)]  # state changes: login + CSRF
ActingAdmin = Annotated[StaffUser, Depends(_acting_admin)]  # state changes reserved to admins
AdminUser = Annotated[StaffUser, Depends(_admin)]  # admin-only reading (audit log)
