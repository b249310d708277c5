"""The shared front-end kit (bot/gateway/static/shared/: ui.js, tokens.css) at /static/shared/{name}.

Used by the staff console and by the web chat widget, which runs on the city's own pages: the
widget is an ES module, and module scripts (and their imports) are fetched in CORS mode, hence
`Access-Control-Allow-Origin: *`. Only files that exist in that folder are served, by their bare
name; anything else, a path included, is a 404.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

SHARED_DIR = Path(__file__).resolve().parents[1] / "static" / "shared"
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".json": "application/json",
}
ASSET_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
    "Access-Control-Allow-Origin": "*",
}

router = APIRouter(tags=["assets"])


def shared_files() -> dict[str, Path]:
    """The files that may be served, by name (read on each request: the folder is small)."""
    if not SHARED_DIR.is_dir():
        return {}
    return {path.name: path for path in SHARED_DIR.iterdir() if path.is_file() and path.suffix in MEDIA_TYPES}


@router.get("/static/shared/{name}", include_in_schema=False)
def shared_asset(name: str) -> FileResponse:
    path = shared_files().get(name)
    if path is None:
        raise HTTPException(status_code=404, detail="Nicht gefunden.")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=ASSET_HEADERS)
