"""Seeding the full demo catalogue and reloading it over HTTP (TestClient, fresh SQLite, a copy of
data/catalogue in a temporary directory that the tests edit)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot.backend.app import create_app
from bot.backend.seed import upgrade_schema
from bot.backend.settings import BackendSettings
from bot.infra.paths import DATA_DIR

LOCAL = ("127.0.0.1", 50000)


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "catalogue"
    shutil.copytree(DATA_DIR / "catalogue", copy)
    return copy


@pytest.fixture
def client(tmp_path: Path, catalogue_dir: Path) -> Iterator[TestClient]:
    app = create_app(BackendSettings(data_dir=tmp_path, catalogue_dir=catalogue_dir))
    with TestClient(app, client=LOCAL) as test_client:
        yield test_client


def reload(client: TestClient):  # type: ignore[no-untyped-def]
    return client.post("/api/catalogue/reload")


def test_the_whole_demo_catalogue_is_seeded_with_the_new_fields(client: TestClient):
    services = client.get("/api/services").json()
    assert len(services) >= 150
    passport = client.get("/api/services/personalausweis").json()
    # the payload the actions read, unchanged ...
    assert passport["appointment_required"] is True and passport["documents"] and passport["office"]["id"]
    assert passport["online_url"].startswith("https://") and passport["fees"] and passport["processing_time"]
    # ... and the standard's fields next to it
    assert passport["leika"] == "99102001001000" and passport["appointment"] == "required"
    assert "Perso" in passport["synonyms"] and "verloren" in passport["keywords"] and passport["demo"] is True
    assert "ausweis_verloren" in passport["life_events"]
    events = {e["id"]: e for e in client.get("/api/life-events").json()}
    assert len(events) >= 15 and events["umzug"]["services"][0] == "wohnsitz_anmeldung"


def test_search_uses_synonyms_of_the_new_services(client: TestClient):
    assert client.get("/api/services/search", params={"q": "Knöllchen"}).json()[0]["id"] == "bussgeld"


def test_good_reload_adds_changes_and_removes_services(client: TestClient, catalogue_dir: Path):
    culture = catalogue_dir / "services" / "kultur.yml"
    text = culture.read_text(encoding="utf-8")
    text = text.replace("name: Fernleihe", "name: Fernleihe aus anderen Bibliotheken")
    text = text.replace("  - id: kulturfoerderung", "  - id: kulturfoerderung_neu")
    text = text.replace("    services: [kulturfoerderung]", "    services: [kulturfoerderung_neu]")
    culture.write_text(text, encoding="utf-8")
    response = reload(client)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["added"] == ["kulturfoerderung_neu"] and summary["removed"] == ["kulturfoerderung"]
    assert summary["services"] >= 150 and summary["offices"] == 16 and summary["life_events"] >= 15
    assert client.get("/api/services/fernleihe").json()["name"] == "Fernleihe aus anderen Bibliotheken"
    assert client.get("/api/services/kulturfoerderung").status_code == 404


def test_bad_reload_changes_nothing_and_names_every_problem(client: TestClient, catalogue_dir: Path):
    before = client.get("/api/services").json()
    (catalogue_dir / "services" / "kultur.yml").write_text(
        (catalogue_dir / "services" / "kultur.yml")
        .read_text(encoding="utf-8")
        .replace("name: Fernleihe", "name: Fernleihe NEU")
        .replace("office: stadtbibliothek\n    appointment: none\n    online_url: https://www.musterstadt.de/online/vhs",
                 "office: mondamt\n    appointment: none\n    online_url: https://www.musterstadt.de/online/vhs"),
        encoding="utf-8",
    )  # fmt: skip
    (catalogue_dir / "services" / "kaputt.yml").write_text("services:\n  - id: x\n    name: [\n", encoding="utf-8")
    response = reload(client)
    assert response.status_code == 422
    body = response.json()
    assert "nicht geladen" in body["detail"]
    assert any(p.startswith("services/kaputt.yml: kein gültiges YAML") for p in body["problems"])
    assert client.get("/api/services").json() == before


def test_a_service_with_cases_cannot_disappear(client: TestClient, catalogue_dir: Path):
    ids = catalogue_dir / "services" / "ausweise.yml"
    ids.write_text(ids.read_text(encoding="utf-8").replace("  - id: personalausweis\n", "  - id: perso_neu\n"))
    life = catalogue_dir / "life_events.yml"
    life.write_text(re.sub(r"\bpersonalausweis\b", "perso_neu", life.read_text(encoding="utf-8")), encoding="utf-8")
    response = reload(client)
    assert response.status_code == 422, response.text
    assert any("'personalausweis'" in p and "Vorgang" in p for p in response.json()["problems"])
    assert client.get("/api/services/personalausweis").status_code == 200


def test_reload_answers_only_the_loopback_interface(tmp_path: Path, catalogue_dir: Path):
    app = create_app(BackendSettings(data_dir=tmp_path, catalogue_dir=catalogue_dir))
    with TestClient(app, client=("203.0.113.9", 40000)) as remote:
        response = remote.post("/api/catalogue/reload")
    assert response.status_code == 403 and "auf diesem Rechner" in response.json()["detail"]


def test_an_older_database_gains_the_new_columns(tmp_path: Path, catalogue_dir: Path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'backend.db'}", future=True)
    with engine.begin() as conn:  # the services table as it was before the catalogue standard
        conn.execute(
            sa.text(
                "CREATE TABLE offices (id VARCHAR(64) PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                "street VARCHAR(200) NOT NULL, postal_code VARCHAR(10) NOT NULL, city VARCHAR(100) NOT NULL, "
                "phone VARCHAR(50) NOT NULL, email VARCHAR(200) NOT NULL, opening_hours JSON NOT NULL, "
                "accessibility TEXT NOT NULL, transport TEXT NOT NULL)"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TABLE services (id VARCHAR(64) PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                "description TEXT NOT NULL, documents JSON NOT NULL, fees TEXT NOT NULL, "
                "processing_time TEXT NOT NULL, office_id VARCHAR(64) NOT NULL REFERENCES offices(id), "
                "appointment_required BOOLEAN NOT NULL, online_url VARCHAR(500), keywords JSON NOT NULL)"
            )
        )
    upgrade_schema(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("services")}
    assert {"leika", "appointment", "synonyms", "forms", "legal_basis", "demo"} <= columns
    engine.dispose()
    app = create_app(BackendSettings(data_dir=tmp_path, catalogue_dir=catalogue_dir))
    with TestClient(app, client=LOCAL) as client:
        assert client.get("/api/services/reisepass").json()["leika"]
