"""A booking's .ics and an office's feed, parsed back with icalendar: TZID Europe/Berlin with its
VTIMEZONE, the right local times, and tokens that are refused when wrong."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import icalendar

from bot.core.appointment_slots import BERLIN

from .conftest import STAFF, Backend

SUMMER = datetime(2027, 6, 1, 7, 0, tzinfo=BERLIN)  # daylight saving time: +02:00


def _calendar(text: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(text)
    assert isinstance(calendar, icalendar.Calendar)
    return calendar


def test_the_booking_ics_has_berlin_times_with_their_zone(backend: Backend):
    booked = backend.book("reisepass", "erika@example.de")
    answer = backend.client.get(booked["ics_url"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    assert "attachment" in answer.headers["content-disposition"]
    assert b"DTSTART;TZID=Europe/Berlin:20261130T073000" in answer.content
    calendar = _calendar(answer.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    event = calendar.events[0]
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTSTART") == datetime(2026, 11, 30, 7, 30, tzinfo=BERLIN)
    assert event.decoded("DTEND") == datetime(2026, 11, 30, 7, 50, tzinfo=BERLIN)
    assert event.decoded("DTSTART").utcoffset().total_seconds() == 3600
    assert str(event["SUMMARY"]) == "Reisepass – Bürgeramt Mitte"
    assert "Rathausplatz 1" in str(event["LOCATION"]) and "Bitte bringen Sie mit" in str(event["DESCRIPTION"])
    assert str(event["UID"]) == f"booking-{booked['id']}@buergerbot" and event["SEQUENCE"] == 0
    assert booked["code"] not in answer.text


def test_summer_times_and_a_cancelled_booking(backend: Backend):
    backend.at(SUMMER)
    booked = backend.book("personalausweis", "erika@example.de")
    event = _calendar(backend.client.get(booked["ics_url"]).content).events[0]
    assert event.decoded("DTSTART") == datetime(2027, 6, 1, 7, 30, tzinfo=BERLIN)
    assert event.decoded("DTSTART").utcoffset().total_seconds() == 7200
    backend.client.post("/api/appointments/cancel", json={"code": booked["code"], "email": "erika@example.de"})
    cancelled = _calendar(backend.client.get(booked["ics_url"]).content).events[0]
    assert str(cancelled["STATUS"]) == "CANCELLED" and cancelled["SEQUENCE"] == 1


def test_a_wrong_or_missing_ics_token_is_refused(backend: Backend):
    booked = backend.book("reisepass")
    path = urlsplit(booked["ics_url"]).path
    for query in ("", "?token=", "?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"):
        refused = backend.client.get(path + query)
        assert refused.status_code == 403 and refused.json()["code"] == "invalid_token", query
    other = backend.book("personalausweis")
    assert (
        backend.client.get(urlsplit(other["ics_url"]).path + "?" + urlsplit(booked["ics_url"]).query).status_code == 403
    )


def test_the_office_feed_lists_its_bookings_and_wants_its_token(backend: Backend):
    kept = backend.book("reisepass", "a@example.de", index=0)
    gone = backend.book("reisepass", "b@example.de", index=0)
    backend.book("eheschliessung", "c@example.de")  # another office
    backend.client.post("/api/appointments/cancel", json={"code": gone["code"], "email": "b@example.de"})
    address = backend.client.get("/api/appointments/offices/buergeramt/feed", headers=STAFF)
    assert address.status_code == 200
    url = address.json()["url"]
    feed = backend.client.get(url)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    calendar = _calendar(feed.content)
    assert str(calendar["X-WR-CALNAME"]) == "Termine Bürgeramt Mitte"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    events = calendar.events
    assert [str(e["UID"]) for e in events] == [f"booking-{kept['id']}@buergerbot"]
    assert str(events[0]["SUMMARY"]) == "Reisepass: Erika Mustermann"
    assert events[0].decoded("DTSTART") == datetime(2026, 11, 30, 7, 30, tzinfo=BERLIN)
    token = parse_qs(urlsplit(url).query)["token"][0]
    path = urlsplit(url).path
    for wrong in ("", "?token=" + token[:-1] + ("A" if token[-1] != "A" else "B"), "?token=" + token.lower()):
        refused = backend.client.get(path + wrong)
        assert refused.status_code == 403 and refused.json()["detail"].startswith("Der Link ist ungültig"), wrong
    other_office = backend.client.get(f"/api/appointments/feeds/standesamt.ics?token={token}")
    assert other_office.status_code == 403
    assert backend.client.get("/api/appointments/offices/buergeramt/feed").status_code == 401
