"""The backend HTTP API through FastAPI's TestClient on a fresh SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.backend.app import create_app
from bot.backend.settings import BackendSettings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(BackendSettings(data_dir=tmp_path))) as test_client:
        yield test_client


def test_every_required_service_is_in_the_catalogue(client: TestClient):
    ids = {s["id"] for s in client.get("/api/services").json()}
    required = {
        "personalausweis",
        "reisepass",
        "wohnsitz_anmeldung",
        "wohnsitz_abmeldung",
        "kfz_zulassung",
        "fuehrerschein",
        "fuehrungszeugnis",
        "geburtsurkunde",
        "eheschliessung",
        "gewerbeanmeldung",
        "hundesteuer",
        "wohngeld",
        "anwohnerparkausweis",
        "meldebescheinigung",
        "briefwahl",
        "sperrmuell",
        "baugenehmigung",
        "aufenthaltstitel",
        "einbuergerung",
        "fundsache",
    }
    assert required <= ids


def test_service_detail_and_not_found(client: TestClient):
    passport = client.get("/api/services/reisepass").json()
    assert passport["documents"] and passport["fees"] and passport["office"]["id"] == "buergeramt"
    missing = client.get("/api/services/raumschiff")
    assert missing.status_code == 404 and "raumschiff" in missing.json()["detail"]


def test_search_offers_closest_services(client: TestClient):
    found = client.get("/api/services/search", params={"q": "Persoausweis verlängern"}).json()
    assert found[0]["id"] == "personalausweis"
    assert client.get("/api/services/search").status_code == 422


def test_offices_have_hours_and_open_state(client: TestClient):
    offices = {o["id"]: o for o in client.get("/api/offices").json()}
    assert len(offices) == 11
    office = offices["standesamt"]
    assert len(office["opening_hours_text"]) == 7 and isinstance(office["open_now"], bool)
    assert client.get("/api/offices/mond").status_code == 404


def test_case_check_with_the_right_code(client: TestClient):
    response = client.post("/api/cases/check", json={"case_number": "ba2025004711", "access_code": "k7m2q9"})
    assert response.status_code == 200
    body = response.json()
    assert body["case_number"] == "BA-2025-004711" and body["status_label"] == "in Bearbeitung"
    assert [e["status"] for e in body["history"]] == ["eingegangen", "in_bearbeitung"]
    assert "access_code" not in response.text


def test_unknown_number_and_wrong_code_look_the_same(client: TestClient):
    wrong = client.post("/api/cases/check", json={"case_number": "BA-2025-004711", "access_code": "AAAAAA"})
    unknown = client.post("/api/cases/check", json={"case_number": "XY-2025-999999", "access_code": "AAAAAA"})
    assert wrong.status_code == unknown.status_code == 403
    assert wrong.json() == unknown.json()


def test_five_failures_lock_the_number_even_for_the_right_code(client: TestClient):
    for _ in range(4):
        assert (
            client.post("/api/cases/check", json={"case_number": "BA-2025-004712", "access_code": "AAAAAA"}).status_code
            == 403
        )
    fifth = client.post("/api/cases/check", json={"case_number": "BA-2025-004712", "access_code": "AAAAAA"})
    assert fifth.status_code == 423 and int(fifth.headers["Retry-After"]) > 800
    right = client.post("/api/cases/check", json={"case_number": "BA-2025-004712", "access_code": "P4X8N2"})
    assert right.status_code == 423


def test_unknown_numbers_lock_too(client: TestClient):
    codes = [
        client.post("/api/cases/check", json={"case_number": "ZZ-2020-000001", "access_code": "AAAAAA"}).status_code
        for _ in range(5)
    ]
    assert codes == [403, 403, 403, 403, 423]


def test_malformed_requests_get_a_clear_422(client: TestClient):
    response = client.post("/api/cases/check", json={"case_number": "hallo"})
    assert response.status_code == 422
    assert "case_number" in response.json()["detail"] and "access_code" in response.json()["detail"]


def test_database_stores_only_hashes(client: TestClient, tmp_path: Path):
    raw = (tmp_path / "backend.db").read_bytes()
    assert b"K7M2Q9" not in raw and b"scrypt$" in raw
