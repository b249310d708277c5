"""The console's pages and their files: every file in static/staff/ is served by name at /staff/<name>.

Public (the login page needs them before there is a session): login.html (also at /staff/login),
login.js and style sheets. Everything else, the console's scripts above all, needs a session.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from .deps import current_session, optional_session

STATIC_DIR = Path(__file__).resolve().parents[2] / "static" / "staff"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
MEDIA_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html"}
PUBLIC_FILES = frozenset({"login.html", "login.js"})
PUBLIC_SUFFIXES = frozenset({".css"})
NO_SUCH_FILE = "Diese Datei gibt es nicht."

router = APIRouter(tags=["staff: Seiten"], include_in_schema=False)


def static_file(name: str) -> Path | None:
    """The file `name` of the console's folder; None for anything else (other paths, hidden files)."""
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        return None
    path = STATIC_DIR / name
    return path if path.parent == STATIC_DIR and path.is_file() else None


def is_public(name: str) -> bool:
    return name in PUBLIC_FILES or Path(name).suffix in PUBLIC_SUFFIXES


def media_type(name: str) -> str:
    suffix = Path(name).suffix
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _file(path: Path) -> FileResponse:
    return FileResponse(path, media_type=media_type(path.name), headers=PAGE_HEADERS)


def console_page(request: Request) -> Response:
    """GET /staff (added by the package's router: a sub-router cannot have an empty path)."""
    if optional_session(request) is None:
        return RedirectResponse("/staff/login", status_code=303)
    return _file(STATIC_DIR / "console.html")


@router.get("/login")
def login_page() -> FileResponse:
    return _file(STATIC_DIR / "login.html")


@router.get("/{name}")
def console_file(name: str, request: Request) -> FileResponse:
    """A file of the console by name. Without a session only public files are served, and a name
    that is not public is refused with 401 whether or not the file exists."""
    path = static_file(name)
    if path is None or not is_public(name):
        current_session(request)
    if path is None:
        raise HTTPException(status_code=404, detail=NO_SUCH_FILE)
    return _file(path)
