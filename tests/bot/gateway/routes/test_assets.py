"""The shared front-end kit at /static/shared/{name}: media types, headers, and nothing outside its folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.gateway.routes import assets
from bot.gateway.settings import GatewaySettings

CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(assets.router)
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(("name", "media_type"), [("ui.js", "text/javascript"), ("tokens.css", "text/css")])
def test_shared_files_are_served_with_type_and_headers(client: TestClient, name: str, media_type: str) -> None:
    response = client.get(f"/static/shared/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content == (assets.SHARED_DIR / name).read_bytes()


def test_every_served_file_exists_in_the_folder() -> None:
    assert set(assets.shared_files()) >= {"ui.js", "tokens.css"}
    assert all(path.parent == assets.SHARED_DIR for path in assets.shared_files().values())


@pytest.mark.parametrize("name", ["nope.js", "ui", "UI.JS", ".", ".."])
def test_unknown_names_are_404(client: TestClient, name: str) -> None:
    assert client.get(f"/static/shared/{name}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/static/shared/../staff/console.js",
        "/static/shared/..%2Fstaff%2Fconsole.js",
        "/static/shared/%2E%2E%2Fstaff%2Fconsole.js",
        "/static/shared/..%5Cstaff%5Cconsole.js",
        "/static/shared/%2Fetc%2Fpasswd",
        "/static/shared/../../routes/assets.py",
    ],
)
def test_paths_outside_the_folder_are_refused(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "console" not in response.text.lower() and "import" not in response.text


def test_the_name_lookup_refuses_separators_itself() -> None:
    files = assets.shared_files()
    for name in ("../staff/console.js", "..\\staff\\console.js", "/etc/passwd", "shared/ui.js"):
        assert files.get(name) is None


def test_widget_and_kit_can_be_loaded_from_another_origin(tmp_path: Path) -> None:
    """The widget is an ES module on the city's pages: it and its imports need CORS headers."""
    settings = GatewaySettings(
        secret_key="test-secret",
        rasa_url=CLOSED,
        actions_url=CLOSED,
        backend_url=CLOSED,
        telegram_bot_token=None,
        data_dir=tmp_path,
    )
    with TestClient(create_app(settings)) as client:
        for path in ("/widget.js", "/widget.css", "/static/shared/ui.js", "/static/shared/tokens.css"):
            response = client.get(path)  # no Origin header: the header must not depend on the middleware
            assert response.status_code == 200, path
            assert response.headers["access-control-allow-origin"] == "*", path
            assert response.headers["x-content-type-options"] == "nosniff", path
        widget = client.get("/widget.js").text
        assert "from './static/shared/ui.js'" in widget
        assert 'type="module"' in client.get("/").text
