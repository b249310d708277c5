"""The free-slot search over the office calendars: offices of a service, durations, counters, public
holidays of the configured federal state, closures, taken slots, filters and the search range."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.appointment_slots import BERLIN
from bot.infra.holiday_calendar import closed_days

from .conftest import STAFF, Backend


def test_slots_of_a_service_across_its_offices_nearest_first(backend: Backend):
    slots = backend.slots("personalausweis", limit=6)
    assert [(s["office"]["id"], s["start"]) for s in slots[:3]] == [
        ("buergeramt", "2026-11-30T07:30:00+01:00"),
        ("buergeramt", "2026-11-30T07:45:00+01:00"),
        ("buergeramt", "2026-11-30T08:00:00+01:00"),
    ]
    assert ("buergeramt_nord", "2026-11-30T08:00:00+01:00") in [(s["office"]["id"], s["start"]) for s in slots]
    assert slots[0]["label"] == "Montag, 30. November 2026, 07:30 Uhr"
    assert slots[0]["end"] == "2026-11-30T07:45:00+01:00" and slots[0]["free_counters"] == 2
    only_north = backend.slots("personalausweis", office="buergeramt_nord", limit=2)
    assert [s["start"] for s in only_north] == ["2026-11-30T08:00:00+01:00", "2026-11-30T08:15:00+01:00"]


def test_service_length_from_the_calendar_file_and_the_default(backend: Backend):
    passport = backend.slots("reisepass", limit=3)
    assert [s["start"][11:16] for s in passport] == ["07:30", "07:50", "08:10"]
    registration = backend.slots("wohnsitz_anmeldung", limit=2)  # not in the test's file: 15 minutes
    assert [s["start"][11:16] for s in registration] == ["07:30", "07:45"]


def test_a_slot_stays_free_until_every_counter_is_booked(backend: Backend):
    first = backend.slots("reisepass", limit=1)[0]
    backend.book("reisepass", "a@example.de")
    after_one = backend.slots("reisepass", limit=1)[0]
    assert after_one["start"] == first["start"] and after_one["free_counters"] == 1
    backend.book("reisepass", "b@example.de")
    assert backend.slots("reisepass", limit=1)[0]["start"] == "2026-11-30T07:50:00+01:00"
    # The 20-minute bookings (07:30–07:50) on both counters also take the 15-minute ID card slots
    # they overlap: 07:30 and 07:45.
    ids = backend.slots("personalausweis", office="buergeramt", limit=1)
    assert ids[0]["start"] == "2026-11-30T08:00:00+01:00" and ids[0]["free_counters"] == 2


def test_public_holidays_of_the_configured_state(make_backend):
    # Fronleichnam: a public holiday in Nordrhein-Westfalen, not in Berlin.
    corpus_christi = next(d for d, name in closed_days("NW", date(2027, 1, 1)).items() if "Fronleichnam" in name)
    assert corpus_christi not in closed_days("BE", corpus_christi)
    day = corpus_christi.isoformat()
    for state, expected in (("NW", 0), ("BE", 1)):
        backend = make_backend(federal_state=state)
        backend.at(datetime.combine(corpus_christi - timedelta(days=3), datetime.min.time(), BERLIN))
        found = backend.slots("personalausweis", office="buergeramt", **{"from": day, "to": day, "limit": 1})
        assert len(found) == expected, state


def test_christmas_is_skipped(backend: Backend):
    backend.at(datetime(2026, 12, 23, 13, 0, tzinfo=BERLIN))
    days = {s["start"][:10] for s in backend.slots("personalausweis", office="buergeramt_nord", limit=200)}
    assert "2026-12-24" in days and "2026-12-25" not in days and "2026-12-28" in days


def test_closures_staff_enter_remove_slots_and_name_affected_bookings(backend: Backend):
    booked = backend.book("personalausweis", "a@example.de")
    closure = {"start": "2026-11-30T00:00:00", "end": "2026-12-01T00:00:00", "reason": "Personalversammlung"}
    created = backend.client.post("/api/appointments/offices/buergeramt/closures", json=closure, headers=STAFF)
    assert created.status_code == 201, created.text
    assert created.json()["affected_bookings"] == [booked["id"]]
    assert created.json()["start"] == "2026-11-30T00:00:00+01:00"
    first = backend.slots("personalausweis", office="buergeramt", limit=1)[0]
    assert first["start"] == "2026-12-01T07:30:00+01:00"
    listed = backend.client.get("/api/appointments/offices/buergeramt/closures", headers=STAFF).json()
    assert [c["reason"] for c in listed] == ["Personalversammlung"]
    closure_id = created.json()["id"]
    morning = {"start": "2026-11-30T07:00:00", "end": "2026-11-30T10:00:00", "reason": "Schulung"}
    changed = backend.client.put(f"/api/appointments/closures/{closure_id}", json=morning, headers=STAFF)
    assert changed.status_code == 200 and changed.json()["reason"] == "Schulung"
    assert backend.slots("personalausweis", office="buergeramt", limit=1)[0]["start"] == "2026-11-30T10:00:00+01:00"
    assert backend.client.delete(f"/api/appointments/closures/{closure_id}", headers=STAFF).status_code == 204
    assert backend.slots("personalausweis", office="buergeramt", limit=1)[0]["start"] == "2026-11-30T07:30:00+01:00"
    assert backend.client.delete(f"/api/appointments/closures/{closure_id}", headers=STAFF).status_code == 404


def test_filters_time_of_day_weekdays_and_range(backend: Backend):
    afternoon = backend.slots("personalausweis", office="buergeramt", after="14:00", before="15:00", limit=20)
    assert afternoon and all("14:00" <= s["start"][11:16] < "15:00" for s in afternoon)
    assert afternoon[0]["start"] == "2026-11-30T14:00:00+01:00"
    thursdays = backend.slots("personalausweis", weekdays="3", limit=5)
    assert {datetime.fromisoformat(s["start"]).weekday() for s in thursdays} == {3}
    window = backend.slots("personalausweis", **{"from": "2026-12-07", "to": "2026-12-07", "limit": 200})
    assert {s["start"][:10] for s in window} == {"2026-12-07"}
    saturday = backend.slots("personalausweis", office="buergeramt_nord", weekdays="5,6")
    assert saturday == []  # Bürgeramt Nord is closed at weekends


def test_the_lead_time_and_the_default_range_of_four_weeks(backend: Backend):
    backend.at(datetime(2026, 11, 30, 9, 5, tzinfo=BERLIN))
    assert backend.slots("personalausweis", limit=1)[0]["start"] == "2026-11-30T09:45:00+01:00"  # 30 min ahead
    answer = backend.client.get("/api/appointments/slots", params={"service": "personalausweis"}).json()
    assert (answer["first_day"], answer["last_day"]) == ("2026-11-30", "2026-12-27")
    later = backend.client.get("/api/appointments/slots", params={"service": "personalausweis", "from": "2026-12-21"})
    assert later.json()["last_day"] == "2027-01-17"  # 4 weeks from the first day asked for
    past = backend.client.get("/api/appointments/slots", params={"service": "personalausweis", "from": "2026-11-01"})
    assert past.json()["first_day"] == "2026-11-30"  # never before today
