"""The package's router as a whole: every route guarded, every JSON route documented with its schemas."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient

from bot.gateway.routes.staff import PUBLIC_ROUTES, router

from .conftest import NO_CSRF, assert_csrf_refused, assert_not_logged_in

SAMPLE_PARAMS = {
    "event_id": "1",
    "job_id": "1",
    "name": "buergerbot-x.tar.gz",
    "handoff_id": "1",
    "request_id": "1",
    "answer_id": "1",
    "office_id": "buergeramt",
    "closure_id": "1",
    "booking_id": "1",
}


def staff_routes() -> list[tuple[str, str]]:
    found = []
    for route in router.routes:
        if isinstance(route, APIWebSocketRoute):  # /staff/ws/live checks its session itself (tests/bot/gateway/handoff)
            continue
        assert isinstance(route, APIRoute)
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS[m.group(1)], route.path)
        found += [(method, path) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_the_router_covers_the_console():
    templates = {route.path for route in router.routes if isinstance(route, APIRoute)}
    assert {"/staff", "/staff/login", "/staff/{name}", "/staff/api/messages", "/staff/api/models/rollback"} <= templates
    assert all(path.startswith("/staff") for _, path in staff_routes())
    assert len(staff_routes()) == 46  # 43 API routes, the console page, the login page and the file route


@pytest.mark.parametrize("method, path", [r for r in staff_routes() if r[1] not in PUBLIC_ROUTES])
def test_every_route_refuses_without_login(anonymous: TestClient, method: str, path: str):
    response = anonymous.request(method, path, json={}, follow_redirects=False)
    if path == "/staff":
        assert response.status_code == 303 and response.headers["location"] == "/staff/login"
    else:
        assert_not_logged_in(response)


@pytest.mark.parametrize("path", [p for m, p in staff_routes() if m == "POST" and p not in PUBLIC_ROUTES])
def test_every_state_change_refuses_without_csrf_token(admin: TestClient, path: str):
    assert_csrf_refused(admin.post(path, json={}, headers=NO_CSRF))
    assert_csrf_refused(admin.post(path, json={}, headers={"X-CSRF-Token": "forged-token"}))


def test_openapi_documents_the_staff_api_with_schemas(app: FastAPI):
    spec = TestClient(app).get("/openapi.json").json()
    api = {path: ops for path, ops in spec["paths"].items() if path.startswith("/staff/api/")}
    assert len(api) >= 18 and not any(path.startswith("/staff/{") for path in spec["paths"])
    for path, operations in api.items():
        for method, operation in operations.items():
            ok = operation["responses"].get("200") or operation["responses"].get("202")
            content = ok["content"]
            if "application/json" in content:
                assert content["application/json"]["schema"], (method, path)  # a real schema, not {}
            if path != "/staff/api/csrf":  # public
                assert "401" in operation["responses"], (method, path)
            if method == "post" and path != "/staff/api/login":
                assert "403" in operation["responses"], (method, path)
    schemas = spec["components"]["schemas"]
    assert {"MessagePage", "InboxMessage", "ReviewIn", "JobOut", "ModelsOut", "DashboardOut", "AuditEntry"} <= set(
        schemas
    )
    assert set(schemas["SessionOut"]["properties"]) == {"name", "role", "csrf"}
    assert schemas["SessionOut"]["properties"]["role"]["enum"] == ["reviewer", "agent", "admin"]
    messages = api["/staff/api/messages"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert messages["$ref"].endswith("/MessagePage")


def test_domain_errors_are_german_json_with_a_code(admin: TestClient):
    response = admin.get("/staff/api/jobs/12345")
    assert response.status_code == 404
    assert response.json() == {"detail": "Auftrag 12345 wurde nicht gefunden.", "code": "error"}
