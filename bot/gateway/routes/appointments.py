"""The public side of appointments the backend cannot offer itself (it listens on loopback only):
a booking's .ics file and an office's calendar feed (both token-protected by the backend, passed
through), and the page behind the cancellation link in the e-mails (docs/appointments.md).

The page asks before it cancels: mail scanners open links, so a GET never changes anything. It is
a plain HTML form, no script, and the link's signed token is what allows the cancellation."""

from __future__ import annotations

import html
import logging
from typing import Annotated
from urllib.parse import parse_qs

import httpx
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

logger = logging.getLogger(__name__)

router = APIRouter(tags=["appointments"])

CALENDAR = "text/calendar; charset=utf-8"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
BACKEND_DOWN = (
    "Die Terminverwaltung ist gerade nicht erreichbar. Bitte versuchen Sie es später noch einmal oder rufen Sie 115 an."
)
BAD_LINK = "Dieser Link ist ungültig oder abgelaufen."
MAX_ID = 2**62

Token = Annotated[str, Query(..., min_length=1, max_length=200)]


def _backend(request: Request) -> str:
    url: str = request.app.state.settings.backend_url
    return url.rstrip("/")


async def _calendar(request: Request, path: str, token: str, filename: str) -> Response:
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"{_backend(request)}{path}", params={"token": token})
    except httpx.HTTPError:
        logger.warning("backend unreachable for a calendar file")
        return Response(BACKEND_DOWN, status_code=503, media_type="text/plain; charset=utf-8")
    if answer.status_code != 200:
        status = answer.status_code if answer.status_code in (403, 404) else 502
        return Response(
            BAD_LINK if status != 502 else BACKEND_DOWN, status_code=status, media_type="text/plain; charset=utf-8"
        )
    return Response(
        answer.content,
        media_type=CALENDAR,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


CALENDAR_ERRORS: dict[int | str, dict[str, str]] = {
    403: {"description": "The link's token is wrong."},
    404: {"description": "No such booking or office."},
    502: {"description": "The backend answered with an error."},
    503: {"description": "The backend is unreachable."},
}


@router.get(
    "/api/appointments/bookings/{booking_id}.ics",
    summary="A booking as an iCalendar file (link from the chat)",
    responses=CALENDAR_ERRORS,
)
async def booking_ics(
    request: Request, token: Token, booking_id: Annotated[int, Path(..., ge=1, le=MAX_ID)]
) -> Response:
    return await _calendar(request, f"/api/appointments/bookings/{booking_id}.ics", token, "termin.ics")


@router.get(
    "/api/appointments/feeds/{office_id}.ics",
    summary="An office's bookings as a calendar feed (staff)",
    responses=CALENDAR_ERRORS,
)
async def office_feed(
    request: Request, token: Token, office_id: Annotated[str, Path(..., pattern=r"^[a-z0-9_-]{1,64}$")]
) -> Response:
    return await _calendar(request, f"/api/appointments/feeds/{office_id}.ics", token, f"{office_id}.ics")


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – Bürgerbot</title>"
        '<link rel="stylesheet" href="/demo.css"></head>'
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>",
        status_code=status,
        headers=PAGE_HEADERS,
    )


@router.get("/termin/absagen", include_in_schema=False)
def cancel_page(buchung: Annotated[int, Query(..., ge=1, le=MAX_ID)], token: Token) -> HTMLResponse:
    return _page(
        "Termin absagen",
        "<p>Möchten Sie Ihren Termin wirklich absagen? Der Termin wird dann für andere frei.</p>"
        '<form method="post" action="/termin/absagen">'
        f'<input type="hidden" name="buchung" value="{buchung}">'
        f'<input type="hidden" name="token" value="{html.escape(token, quote=True)}">'
        '<button type="submit">Ja, Termin absagen</button></form>'
        "<p>Wenn Sie den Termin behalten möchten, schließen Sie diese Seite einfach.</p>",
    )


def read_cancel_form(body: bytes) -> tuple[int, str] | None:
    """(booking id, token) from the page's form body, or None when malformed (read by hand: no
    multipart parser is installed, and this form has two short fields)."""
    try:
        fields = parse_qs(body.decode("ascii"), max_num_fields=4, strict_parsing=True)
        booking, token = fields["buchung"][0], fields["token"][0]
        booking_id = int(booking)
    except (UnicodeDecodeError, ValueError, KeyError):
        return None
    if not 1 <= booking_id <= MAX_ID or not 1 <= len(token) <= 200:
        return None
    return booking_id, token


@router.post("/termin/absagen", include_in_schema=False)
async def cancel_submit(request: Request) -> HTMLResponse:
    form = read_cancel_form(await request.body())
    if form is None:
        return _page("Termin absagen", f"<p>{html.escape(BAD_LINK)}</p>", 422)
    buchung, token = form
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.post(
                f"{_backend(request)}/api/appointments/cancel", json={"booking_id": buchung, "token": token}
            )
    except httpx.HTTPError:
        logger.warning("backend unreachable for a cancellation")
        return _page("Termin absagen", f"<p>{html.escape(BACKEND_DOWN)}</p>", 503)
    if answer.status_code == 200:
        label = str(answer.json().get("label") or "")
        when = f" ({html.escape(label)})" if label else ""
        return _page(
            "Termin abgesagt", f"<p>Ihr Termin{when} ist abgesagt. Sie erhalten eine Bestätigung per E-Mail.</p>"
        )
    try:
        detail = str(answer.json().get("detail") or BAD_LINK)
    except ValueError:
        detail = BAD_LINK
    status = answer.status_code if 400 <= answer.status_code < 500 else 502
    return _page("Termin absagen", f"<p>{html.escape(detail)}</p>", status)
