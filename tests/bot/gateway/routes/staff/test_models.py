"""The model registry over HTTP: listing, confusion matrix, promotion and rollback (admins).

Loading a model into Rasa is stubbed here; tests/bot/staff/test_loop.py promotes with a real Rasa."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.staff import promotion, registry
from bot.staff.accounts import add_user
from bot.staff.evaluation import compare
from bot.staff.tables import audit_log, model_versions

from .conftest import NO_CSRF, assert_csrf_refused, assert_forbidden, assert_not_logged_in, login, settings_for

EXAMPLES = [{"text": t, "intent": i, "source": "heldout"} for t, i in (("Hallo", "greet"), ("Tschüss", "goodbye"))]


def evaluation(live: list[str], candidate: list[str], picture: Path | None = None) -> dict[str, Any]:
    result = compare(EXAMPLES, live, candidate)
    result["live_model"] = "old.tar.gz"
    result["confusion_png"] = str(picture) if picture else None
    return result


@pytest.fixture
def models(app: FastAPI, tmp_path: Path) -> dict[str, str]:
    """A better and a worse candidate, each with its file and evaluation."""
    staff = app.state.staff.staff
    picture = tmp_path / "better.confusion.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    names = {}
    for kind, candidate in (("better", ["greet", "goodbye"]), ("worse", ["greet", "greet"])):
        path = tmp_path / "models" / f"{kind}.tar.gz"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"model")
        registry.register(staff, path, "admin")
        live = ["greet", "greet"] if kind == "better" else ["greet", "goodbye"]
        registry.set_evaluation(staff, path.name, evaluation(live, candidate, picture if kind == "better" else None))
        names[kind] = path.name
    return names


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Rasa stand-in: records the models it is asked to load."""
    calls: list[str] = []
    monkeypatch.setattr(promotion, "load_into_rasa", lambda _settings, model: calls.append(Path(model).name))
    return calls


def test_models_list_with_typed_evaluations(reviewer: TestClient, models: dict[str, str]):
    data = reviewer.get("/staff/api/models").json()
    assert data["live"] is None and data["max_accuracy_drop"] == 0.01
    assert [m["name"] for m in data["models"]] == [models["worse"], models["better"]]
    better = data["models"][1]
    assert better["status"] == "candidate" and better["exists"] is True and better["created_by"] == "admin"
    assert better["evaluation"]["heldout"]["candidate"]["accuracy"] == 1.0
    assert better["evaluation"]["heldout"]["live"]["per_intent"]["goodbye"]["support"] == 1
    assert better["evaluation"]["changed"][0] == {
        "text": "Tschüss",
        "source": "heldout",
        "expected": "goodbye",
        "live": "greet",
        "candidate": "goodbye",
        "better": True,
    }


def test_models_need_a_session(anonymous: TestClient):
    assert_not_logged_in(anonymous.get("/staff/api/models"))


def test_listing_models_never_writes(tmp_path: Path):
    """A read does not adopt the model Rasa runs (that is `adopt_running_model`, at start-up)."""
    running = tmp_path / "running.tar.gz"
    running.write_bytes(b"model")
    app = create_app(settings_for(tmp_path, initial_model=running))
    add_user(app.state.staff.staff, "admin", "Admin-Passwort-2025", "admin")
    client = login(app, "admin")
    staff = app.state.staff.staff
    with staff.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar()
    assert client.get("/staff/api/models").json()["live"] is None
    with staff.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(model_versions)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar() == before
    adopted = promotion.adopt_running_model(app.state.settings, staff)  # Rasa unreachable: its start model
    assert adopted is not None and adopted["name"] == "running.tar.gz" and adopted["status"] == "live"
    assert client.get("/staff/api/models").json()["live"] == "running.tar.gz"
    assert promotion.adopt_running_model(app.state.settings, staff)["name"] == "running.tar.gz"  # idempotent
    actions = [e["action"] for e in client.get("/staff/api/audit").json()]
    assert actions.count("model.adopt") == 1


def test_confusion_matrix(reviewer: TestClient, anonymous: TestClient, models: dict[str, str]):
    picture = reviewer.get(f"/staff/api/models/{models['better']}/confusion.png")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    missing = reviewer.get(f"/staff/api/models/{models['worse']}/confusion.png")
    assert missing.status_code == 404 and "Konfusionsmatrix" in missing.json()["detail"]
    assert reviewer.get("/staff/api/models/nope.tar.gz/confusion.png").status_code == 404
    assert_not_logged_in(anonymous.get(f"/staff/api/models/{models['better']}/confusion.png"))


def test_promote_and_roll_back(admin: TestClient, models: dict[str, str], loaded: list[str]):
    promoted = admin.post(f"/staff/api/models/{models['better']}/promote", json={})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["status"] == "live" and promoted.json()["promoted_by"] == "admin"
    again = admin.post(f"/staff/api/models/{models['better']}/promote", json={})
    assert again.status_code == 409 and "schon das Live-Modell" in again.json()["detail"]
    refused = admin.post(f"/staff/api/models/{models['worse']}/promote", json={})
    assert refused.status_code == 409 and refused.json()["code"] == "promotion_refused"
    short = admin.post(f"/staff/api/models/{models['worse']}/promote", json={"reason": "kurz"})
    assert short.status_code == 422 and "mindestens 10 Zeichen" in short.json()["detail"]
    overridden = admin.post(f"/staff/api/models/{models['worse']}/promote", json={"reason": "Test mit Begründung"})
    assert overridden.status_code == 200 and overridden.json()["name"] == models["worse"]
    back = admin.post("/staff/api/models/rollback", json={})
    assert back.status_code == 200 and back.json()["name"] == models["better"] and back.json()["status"] == "live"
    assert loaded == [models["better"], models["worse"], models["better"]]
    assert admin.get("/staff/api/models").json()["live"] == models["better"]


def test_promotion_without_rasa_is_503_and_changes_nothing(admin: TestClient, models: dict[str, str]):
    response = admin.post(f"/staff/api/models/{models['better']}/promote", json={})
    assert response.status_code == 503 and "Live-Modell bleibt unverändert" in response.json()["detail"]
    assert admin.get("/staff/api/models").json()["live"] is None


def test_promote_and_rollback_of_unknown_models_are_404(admin: TestClient, loaded: list[str]):
    missing = admin.post("/staff/api/models/nope.tar.gz/promote", json={})
    assert missing.status_code == 404 and missing.json()["detail"] == "Modell nope.tar.gz wurde nicht gefunden."
    assert admin.post("/staff/api/models/rollback", json={"name": "nope.tar.gz"}).status_code == 404
    nothing = admin.post("/staff/api/models/rollback", json={})
    assert nothing.status_code == 409 and "kein früheres Live-Modell" in nothing.json()["detail"]
    assert loaded == []


def test_promotion_and_rollback_are_for_admins_with_the_csrf_token(
    reviewer: TestClient, admin: TestClient, anonymous: TestClient, models: dict[str, str], loaded: list[str]
):
    for path in (f"/staff/api/models/{models['better']}/promote", "/staff/api/models/rollback"):
        assert_forbidden(reviewer.post(path, json={}))
        assert_not_logged_in(anonymous.post(path, json={}))
        assert_csrf_refused(admin.post(path, json={}, headers=NO_CSRF))
    assert loaded == []
