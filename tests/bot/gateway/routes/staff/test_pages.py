"""Pages and files of the console: public login assets, everything else behind a session."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.gateway.routes.staff import pages

from .conftest import assert_not_logged_in

CSP = "script-src 'self'"


def test_console_page_redirects_to_login_without_a_session(anonymous: TestClient):
    response = anonymous.get("/staff", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/login"


def test_console_page_is_served_with_a_session(reviewer: TestClient):
    response = reviewer.get("/staff", follow_redirects=False)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert CSP in response.headers["content-security-policy"] and response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/staff/login", "/staff/login.html"])
def test_login_page_is_public(anonymous: TestClient, path: str):
    response = anonymous.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_login_script_and_style_sheets_are_public(anonymous: TestClient):
    assert anonymous.get("/staff/login.js").headers["content-type"].startswith("text/javascript")
    for css in sorted(p.name for p in pages.STATIC_DIR.glob("*.css")):
        response = anonymous.get(f"/staff/{css}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


def test_every_other_file_needs_a_session(anonymous: TestClient, reviewer: TestClient):
    names = sorted(p.name for p in pages.STATIC_DIR.iterdir() if p.is_file() and not p.name.startswith("."))
    assert "console.js" in names
    for name in names:
        if pages.is_public(name):
            continue
        assert_not_logged_in(anonymous.get(f"/staff/{name}"))
        served = reviewer.get(f"/staff/{name}")
        assert served.status_code == 200, name
        assert served.headers["content-type"].startswith(pages.media_type(name))
        assert served.headers["cache-control"] == "no-store" and CSP in served.headers["content-security-policy"]


def test_a_new_module_file_is_served_by_name(reviewer: TestClient, anonymous: TestClient, monkeypatch, tmp_path):
    (tmp_path / "inbox.js").write_text("export const x = 1;\n")
    (tmp_path / "extra.css").write_text("body {}\n")
    monkeypatch.setattr(pages, "STATIC_DIR", tmp_path)
    response = reviewer.get("/staff/inbox.js")
    assert response.status_code == 200 and response.text == "export const x = 1;\n"
    assert response.headers["content-type"].startswith("text/javascript")
    assert_not_logged_in(anonymous.get("/staff/inbox.js"))
    assert anonymous.get("/staff/extra.css").status_code == 200


def test_unknown_names_are_refused_before_login_and_not_found_after(anonymous: TestClient, reviewer: TestClient):
    for name in ("nothing.js", "buergerbot-x.tar.gz", ".hidden"):
        assert_not_logged_in(anonymous.get(f"/staff/{name}"))
        assert reviewer.get(f"/staff/{name}").status_code == 404
    assert_not_logged_in(anonymous.get("/staff/nothing.css"))  # without a session, no hint which files exist


@pytest.mark.parametrize("path", ["/staff/..%2F..%2Fapp.py", "/staff/%2E%2E", "/staff/static/staff/console.js"])
def test_nothing_outside_the_folder_is_served(reviewer: TestClient, path: str):
    assert reviewer.get(path).status_code in (401, 404)
    assert reviewer.get(path).status_code != 200


def test_static_file_accepts_only_plain_names():
    assert pages.static_file("console.js") == pages.STATIC_DIR / "console.js"
    for name in ("", ".", "..", "../app.py", "a/b.js", "a\\b.js", ".gitignore", "missing.js"):
        assert pages.static_file(name) is None
