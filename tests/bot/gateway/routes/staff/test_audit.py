"""The audit log over HTTP: admins only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import assert_forbidden, assert_not_logged_in


def test_admins_read_the_audit_log_newest_first(admin: TestClient, reviewer: TestClient):
    reviewer.post("/staff/api/logout")
    entries = admin.get("/staff/api/audit").json()
    assert [(e["actor"], e["action"]) for e in entries[:3]] == [
        ("reviewer", "logout"),
        ("reviewer", "login"),
        ("admin", "login"),
    ]
    assert set(entries[0]) == {"id", "at", "actor", "action", "target", "detail"}
    assert len(admin.get("/staff/api/audit?limit=1").json()) == 1
    assert admin.get("/staff/api/audit?limit=0").status_code == 422


def test_reviewers_may_not_read_the_audit_log(reviewer: TestClient):
    assert_forbidden(reviewer.get("/staff/api/audit"))


def test_audit_log_needs_a_session(anonymous: TestClient):
    assert_not_logged_in(anonymous.get("/staff/api/audit"))
