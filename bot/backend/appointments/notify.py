"""E-mails of a booking, queued in the mail outbox (bot/backend/mail) in the caller's transaction, so a
booking and its e-mails are committed together.

- confirmed: the confirmation (with the .ics) and the reminder for 09:00 the day before (none
  when that has passed);
- moved: the pending reminder is cancelled, a confirmation of the new time and a new reminder queued;
- cancelled: the pending reminder is cancelled, the cancellation queued.

The texts are the mail package's (bot/backend/mail/texts.py). The booking code is not written into
e-mails: the outbox keeps their bodies, and the code is stored only as a hash; every e-mail carries a
signed cancellation link instead.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from bot.backend.mail import outbox, texts
from bot.backend.mail.schedule import schedule_for
from bot.backend.settings import BackendSettings
from bot.backend.tables import OfficeRecord, ServiceRecord

from .calendars import from_db
from .ics import booking_ics
from .links import cancel_link
from .tables import BookingRecord

logger = logging.getLogger(__name__)

Event = Literal["confirmed", "moved", "cancelled"]
CONFIRMATION, REMINDER, CANCELLATION = "appointment_confirmation", "appointment_reminder", "appointment_cancellation"
MOVED = "appointment_moved"
ICS_MIME = "text/calendar; charset=utf-8"
ICS_FILENAME = "termin.ics"
CODE_IN_MAIL = "wie im Chat angezeigt"  # the code itself is never written into an e-mail


def notify(
    session: Session,
    booking: BookingRecord,
    event: Event,
    *,
    now: datetime,
    secret: bytes,
    settings: BackendSettings,
) -> None:
    """Queue the e-mails of `event` for the booking, in the caller's transaction."""
    service: ServiceRecord | None = session.get(ServiceRecord, booking.service_id)
    office: OfficeRecord | None = session.get(OfficeRecord, booking.office_id)
    start = from_db(booking.start_at)
    mail = texts.BookingMail(
        code=CODE_IN_MAIL,
        service=service.name if service else booking.service_id,
        office=office.name if office else booking.office_id,
        office_address=f"{office.street}, {office.postal_code} {office.city}" if office else "",
        start=start,
        citizen_name=booking.name,
        documents=tuple(service.documents) if service else (),
        cancel_url=cancel_link(settings.public_base_url, booking, secret),
    )
    ics = [(ICS_FILENAME, ICS_MIME, booking_ics(booking, service, office, now))]

    def queue(kind: str, text: texts.MailText, send_after: datetime | None = None) -> None:
        outbox.enqueue(
            session,
            to=booking.email,
            subject=text.subject,
            body=text.body,
            attachments=ics,
            send_after=send_after,
            kind=kind,
            booking_id=booking.id,
            now=now,
        )

    if event in ("moved", "cancelled"):
        outbox.cancel_pending(session, booking.id, [REMINDER, MOVED], now=now)
    if event == "cancelled":
        queue(CANCELLATION, texts.cancellation(mail, settings.public_base_url))
        return
    queue(CONFIRMATION if event == "confirmed" else MOVED, texts.confirmation(mail, settings.public_base_url))
    reminder_at = schedule_for(start, now=now)
    if reminder_at > now:  # booked after 09:00 the day before: the confirmation is reminder enough
        queue(REMINDER, texts.reminder(mail, settings.public_base_url), reminder_at)
