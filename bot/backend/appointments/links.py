"""Signed links of a booking and an office feed. The .ics and feed paths are the backend's own (the
gateway forwards them); the cancellation link opens the gateway's page that asks before it cancels
(a GET from an e-mail must never cancel: mail scanners open links)."""

from __future__ import annotations

from urllib.parse import urlencode

from .codes import sign
from .tables import BookingRecord

ICS = "ics"
CANCEL = "cancel"
FEED = "feed"


def ics_path(booking: BookingRecord, secret: bytes) -> str:
    token = sign(secret, ICS, str(booking.id), booking.code_nonce)
    return f"/api/appointments/bookings/{booking.id}.ics?{urlencode({'token': token})}"


def cancel_token(booking: BookingRecord, secret: bytes) -> str:
    return sign(secret, CANCEL, str(booking.id), booking.code_nonce)


def cancel_link(public_base_url: str, booking: BookingRecord, secret: bytes) -> str:
    """The gateway's cancellation page (the mail package's path), with booking id and signed token."""
    query = urlencode({"buchung": booking.id, "token": cancel_token(booking, secret)})
    return f"{public_base_url.rstrip('/')}/termin/absagen?{query}"


def feed_token(office_id: str, secret: bytes) -> str:
    return sign(secret, FEED, office_id)


def feed_path(office_id: str, secret: bytes) -> str:
    return f"/api/appointments/feeds/{office_id}.ics?{urlencode({'token': feed_token(office_id, secret)})}"
