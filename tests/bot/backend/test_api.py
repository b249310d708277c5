"""The backend HTTP API through FastAPI's TestClient on a fresh SQLite database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from bot.backend.app import create_app
from bot.backend.deps import get_now
from bot.backend.settings import BackendSettings

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(BackendSettings(data_dir=tmp_path))) as test_client:
        yield test_client


@pytest.fixture
def set_clock(client: TestClient) -> Callable[[datetime], None]:
    """Stops the backend's clock (the one `ClockDep` of every route) at the given moment."""

    def set_now(moment: datetime) -> None:
        client.app.dependency_overrides[get_now] = lambda: moment

    return set_now


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


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
    assert len(offices) == 16
    office = offices["standesamt"]
    assert len(office["opening_hours_text"]) == 7 and isinstance(office["open_now"], bool)
    assert client.get("/api/offices/mond").status_code == 404


def test_week_of_may_day_lists_the_holiday(client: TestClient, set_clock):
    set_clock(at(2026, 4, 29, 10, 0))  # Wednesday before 1 May
    office = client.get("/api/offices/buergeramt").json()
    assert office["open_now"] is True and office["closed_today"] is None
    assert office["holidays_this_week"] == [{"date": "2026-05-01", "name": "Erster Mai"}]
    assert datetime.fromisoformat(office["as_of"]) == at(2026, 4, 29, 10, 0)


def test_on_may_day_every_office_is_closed(client: TestClient, set_clock):
    set_clock(at(2026, 5, 1, 10, 0))  # Friday, 1 May
    offices = {o["id"]: o for o in client.get("/api/offices").json()}
    assert not any(o["open_now"] for o in offices.values())
    assert {o["closed_today"]["name"] for o in offices.values()} == {"Erster Mai"}
    assert datetime.fromisoformat(offices["buergeramt"]["changes_at"]) == at(2026, 5, 2, 9, 0)  # Saturday


def test_christmas_week_and_day(client: TestClient, set_clock):
    set_clock(at(2026, 12, 22, 10, 0))  # Tuesday
    week = client.get("/api/offices/buergeramt").json()["holidays_this_week"]
    assert week == [
        {"date": "2026-12-25", "name": "Erster Weihnachtstag"},
        {"date": "2026-12-26", "name": "Zweiter Weihnachtstag"},
    ]
    set_clock(at(2026, 12, 25, 10, 0))
    office = client.get("/api/offices/buergeramt").json()
    assert office["closed_today"] == {"date": "2026-12-25", "name": "Erster Weihnachtstag"}
    assert datetime.fromisoformat(office["changes_at"]) == at(2026, 12, 28, 7, 30)  # skips Saturday the 26th


def test_the_federal_state_decides_which_days_are_holidays(tmp_path: Path):
    epiphany = "2027-01-06T10:00:00"  # a Wednesday; a public holiday in Bavaria, not in NRW
    for state, closed in (("BY", "Heilige Drei Könige"), ("NW", None)):
        settings = BackendSettings(data_dir=tmp_path / state, federal_state=state, fixed_now=epiphany)
        with TestClient(create_app(settings)) as test_client:
            office = test_client.get("/api/offices/buergeramt").json()
        assert (office["closed_today"] or {}).get("name") == closed
        assert datetime.fromisoformat(office["as_of"]) == at(2027, 1, 6, 10, 0)


def test_fixed_clock_is_local_time_unless_it_has_an_offset():
    assert get_now(BackendSettings(fixed_now="2026-05-01T10:00:00")) == at(2026, 5, 1, 10, 0)
    utc = get_now(BackendSettings(fixed_now="2026-05-01T08:00:00+00:00"))
    assert utc == at(2026, 5, 1, 10, 0) and utc.tzinfo == BERLIN
    assert get_now(BackendSettings(fixed_now="")).tzinfo == BERLIN  # empty: the real clock


def test_unknown_federal_state_is_refused():
    with pytest.raises(ValueError, match="federal state"):
        BackendSettings(federal_state="XY")


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
    # The database is the file and its write-ahead log (pooled connections keep the log open).
    raw = b"".join(path.read_bytes() for path in sorted(tmp_path.glob("backend.db*")))
    assert b"K7M2Q9" not in raw and b"scrypt$" in raw
