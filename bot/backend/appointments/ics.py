"""Bookings as iCalendar (RFC 5545, the `icalendar` library): one booking for the citizen, and an
office's bookings as a feed staff subscribe to. Times carry TZID=Europe/Berlin, with the zone's
VTIMEZONE included, so calendar programs show the office's local time in any zone.

The VTIMEZONE states the zone's rule (CET/CEST, changes on the last Sundays of March and October,
in force since 1996) as two RRULEs, as calendar programs themselves write it: a few lines, where the
one icalendar derives from the tz database lists every change from 1970 to 2037 (70 RDATEs, 3 ms
to write, inside a booking's write transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import icalendar

from bot.backend.tables import OfficeRecord, ServiceRecord

from .calendars import from_db
from .tables import BookingRecord

PRODID = "-//Stadt Musterstadt//Buergerbot Termine//DE"
CONTENT_TYPE = "text/calendar; charset=utf-8"
_STATUS = {"booked": "CONFIRMED", "no_show": "CONFIRMED", "cancelled": "CANCELLED"}


TZID = "Europe/Berlin"


@lru_cache(maxsize=1)
def _berlin_vtimezone() -> bytes:
    zone = icalendar.Timezone()
    zone.add("tzid", TZID)
    # A VTIMEZONE's DTSTART is the local time of the first change, without a zone.
    daylight = datetime(1996, 3, 31, 2, 0)  # noqa: DTZ001 - local time, see above
    standard = datetime(1996, 10, 27, 3, 0)  # noqa: DTZ001 - local time, see above
    for kind, name, start, offsets, month in (
        (icalendar.TimezoneDaylight, "CEST", daylight, (1, 2), 3),
        (icalendar.TimezoneStandard, "CET", standard, (2, 1), 10),
    ):
        part = kind()
        part.add("tzname", name)
        part.add("dtstart", start)
        part.add("tzoffsetfrom", timedelta(hours=offsets[0]))
        part.add("tzoffsetto", timedelta(hours=offsets[1]))
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        zone.add_component(part)
    return bytes(zone.to_ical())


def _with_zone(calendar: icalendar.Calendar) -> bytes:
    """The calendar with the Europe/Berlin VTIMEZONE as its first component."""
    calendar.subcomponents.insert(0, icalendar.Timezone.from_ical(_berlin_vtimezone()))
    return bytes(calendar.to_ical())


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
    return _with_zone(calendar)


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
    return _with_zone(calendar)
