"""Bookings as iCalendar (RFC 5545, the `icalendar` library): one booking for the citizen, and an
office's bookings as a feed staff subscribe to. Times carry TZID=Europe/Berlin, with the zone's
VTIMEZONE included, so calendar programs show the office's local time in any zone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

import icalendar

from bot.backend.tables import OfficeRecord, ServiceRecord

from .calendars import from_db
from .tables import BookingRecord

PRODID = "-//Stadt Musterstadt//Buergerbot Termine//DE"
CONTENT_TYPE = "text/calendar; charset=utf-8"
_STATUS = {"booked": "CONFIRMED", "no_show": "CONFIRMED", "cancelled": "CANCELLED"}


def uid(booking: BookingRecord) -> str:
    return f"booking-{booking.id}@buergerbot"


def _location(office: OfficeRecord | None) -> str:
    if office is None:
        return ""
    return f"{office.name}, {office.street}, {office.postal_code} {office.city}"


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Berlin")
    return calendar


def _event(booking: BookingRecord, summary: str, description: str, location: str, now: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid(booking))
    event.add("dtstamp", now.astimezone(timezone.utc))
    event.add("dtstart", from_db(booking.start_at))
    event.add("dtend", from_db(booking.end_at))
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    event.add("sequence", booking.sequence)
    event.add("status", _STATUS.get(booking.status, "CONFIRMED"))
    event.add("last-modified", from_db(booking.updated_at).astimezone(timezone.utc))
    return event


def booking_ics(
    booking: BookingRecord, service: ServiceRecord | None, office: OfficeRecord | None, now: datetime
) -> bytes:
    """The citizen's appointment: service and office, the address, the documents to bring."""
    service_name = service.name if service else booking.service_id
    office_name = office.name if office else booking.office_id
    lines = [f"Ihr Termin: {service_name}, {office_name}."]
    if service is not None and service.documents:
        lines.append("Bitte bringen Sie mit:")
        lines.extend(f"- {document}" for document in service.documents)
    lines.append("Absagen oder verschieben: im Chat mit Ihrem Buchungscode und Ihrer E-Mail-Adresse.")
    calendar = _calendar(f"Termin {service_name}")
    calendar.add_component(_event(booking, f"{service_name} – {office_name}", "\n".join(lines), _location(office), now))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def office_feed(
    office: OfficeRecord, bookings: Iterable[BookingRecord], services: Mapping[str, ServiceRecord], now: datetime
) -> bytes:
    """An office's bookings for staff calendars: service and name in the title, counter and contact
    in the description; cancelled bookings are left out (a subscribed calendar drops them)."""
    calendar = _calendar(f"Termine {office.name}")
    for booking in bookings:
        if booking.status == "cancelled":
            continue
        service = services.get(booking.service_id)
        service_name = service.name if service else booking.service_id
        description = f"Schalter {booking.counter}\nE-Mail: {booking.email}\nBuchung Nr. {booking.id}"
        if booking.status == "no_show":
            description += "\nNicht erschienen."
        calendar.add_component(_event(booking, f"{service_name}: {booking.name}", description, _location(office), now))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
