"""The appointment routes' edges: the service token of the internal routes, not found, and requests
refused with a German reason (bot/backend/routes/appointments*.py)."""

from __future__ import annotations

import pytest

from .conftest import STAFF, Backend

STAFF_ROUTES = [
    ("get", "/api/appointments/offices/buergeramt/bookings"),
    ("get", "/api/appointments/offices/buergeramt/closures"),
    ("post", "/api/appointments/offices/buergeramt/closures"),
    ("put", "/api/appointments/closures/1"),
    ("delete", "/api/appointments/closures/1"),
    ("post", "/api/appointments/bookings/1/no-show"),
    ("get", "/api/appointments/offices/buergeramt/feed"),
]


@pytest.mark.parametrize(("method", "path"), STAFF_ROUTES)
def test_internal_routes_want_the_service_token(backend: Backend, method: str, path: str):
    closure = {"start": "2026-12-01T08:00:00", "end": "2026-12-01T09:00:00"}
    send = getattr(backend.client, method)
    kwargs = {"json": closure} if method in ("post", "put") else {}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": STAFF["Authorization"] + "x"}):
        refused = send(path, headers=headers, **kwargs)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer", headers
    assert send(path, headers=STAFF, **kwargs).status_code in (200, 201, 204, 404, 409)


def test_without_a_configured_token_internal_routes_are_closed(make_backend):
    backend = make_backend(backend_token=None)
    refused = backend.client.get("/api/appointments/offices/buergeramt/bookings", headers=STAFF)
    assert refused.status_code == 403 and "BUERGERBOT_BACKEND_TOKEN" in refused.json()["detail"]


def test_not_found_names_what(backend: Backend):
    office = backend.client.get("/api/appointments/offices/mond/bookings", headers=STAFF)
    assert office.status_code == 404 and office.json()["detail"] == "Dienststelle 'mond' nicht gefunden."
    closure = backend.client.delete("/api/appointments/closures/77", headers=STAFF)
    assert closure.status_code == 404 and closure.json()["detail"] == "Schließzeit '77' nicht gefunden."
    service = backend.client.get("/api/appointments/slots", params={"service": "raumschiff"})
    assert service.status_code == 404 and service.json()["detail"] == "Leistung 'raumschiff' nicht gefunden."
    feed = backend.client.get("/api/appointments/feeds/mond.ics", params={"token": "x"})
    assert feed.status_code == 403  # the token is checked first: no office list for the guessing


def test_searches_that_cannot_be_answered(backend: Backend):
    def ask(**params: str) -> dict[str, object]:
        answer = backend.client.get("/api/appointments/slots", params={"service": "personalausweis", **params})
        assert answer.status_code == 422, params
        return dict(answer.json())

    assert "weekdays" in str(ask(weekdays="mo,di")["detail"])
    assert "weekdays" in str(ask(weekdays="7")["detail"])
    assert "to:" in str(ask(**{"from": "2026-12-10", "to": "2026-12-01"})["detail"])
    assert "to:" in str(ask(to="2027-06-01")["detail"])
    assert "from:" in str(ask(**{"from": "2028-06-01"})["detail"])
    no_need = backend.client.get("/api/appointments/slots", params={"service": "fundsache"}).json()
    assert no_need["code"] == "no_appointment_needed" and no_need["online_url"].startswith("https://")
    wrong_office = backend.client.get(
        "/api/appointments/slots", params={"service": "reisepass", "office": "standesamt"}
    )
    assert wrong_office.status_code == 422 and wrong_office.json()["code"] == "office_not_for_service"


def test_contact_data_is_checked_with_a_german_reason(backend: Backend):
    hold = backend.hold("reisepass", "buergeramt", "2026-11-30T07:30:00+01:00").json()
    bad_mail = backend.client.post(
        f"/api/appointments/holds/{hold['id']}/confirm",
        json={"name": "Erika Mustermann", "email": "erika.example.de"},
        headers={"Idempotency-Key": "k" * 20},
    )
    assert bad_mail.status_code == 422 and "E-Mail-Adresse mit „@“" in bad_mail.json()["detail"]
    bad_name = backend.client.post(
        f"/api/appointments/holds/{hold['id']}/confirm",
        json={"name": "R2D2", "email": "erika@example.de"},
        headers={"Idempotency-Key": "k" * 20},
    )
    assert bad_name.status_code == 422 and "ohne Ziffern" in bad_name.json()["detail"]
    short_key = backend.client.post(
        f"/api/appointments/holds/{hold['id']}/confirm",
        json={"name": "Erika Mustermann", "email": "erika@example.de"},
        headers={"Idempotency-Key": "short"},
    )
    assert short_key.status_code == 422
    odd_client = backend.hold("reisepass", "buergeramt", "2026-11-30T07:50:00+01:00", client="web: leer zeichen")
    assert odd_client.status_code == 422
    far = backend.hold("reisepass", "buergeramt", "9999-12-31T07:30:00")
    assert far.status_code == 422
    unknown_hold = backend.confirm("h" * 22)
    assert unknown_hold.status_code == 404 and unknown_hold.json()["code"] == "hold_not_found"


def test_the_routes_are_in_the_openapi_schema(backend: Backend):
    paths = backend.client.get("/openapi.json").json()["paths"]
    expected = {
        "/api/appointments/slots",
        "/api/appointments/holds",
        "/api/appointments/holds/{hold_id}",
        "/api/appointments/holds/{hold_id}/confirm",
        "/api/appointments/find",
        "/api/appointments/cancel",
        "/api/appointments/move",
        "/api/appointments/bookings/{booking_id}.ics",
        "/api/appointments/feeds/{office_id}.ics",
        "/api/appointments/offices/{office_id}/bookings",
        "/api/appointments/offices/{office_id}/closures",
        "/api/appointments/closures/{closure_id}",
        "/api/appointments/bookings/{booking_id}/no-show",
        "/api/appointments/offices/{office_id}/feed",
    }
    assert expected <= set(paths)
