"""The German e-mails about an appointment: confirmation, reminder and cancellation. Pure
functions of plain data (`BookingMail`), polite ("Sie"), short, plain text, the absolute date in
every one, and in every one the link to cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from bot.core.appointment_time import format_slot

GREETING_CLOSE = "Mit freundlichen Grüßen\nIhre Stadtverwaltung"


@dataclass(frozen=True)
class BookingMail:
    """What the e-mails say about one booking."""

    code: str  # the booking code
    service: str  # the service's name, e.g. "Personalausweis beantragen"
    office: str  # the office's name, e.g. "Bürgeramt Mitte"
    office_address: str  # one line, e.g. "Rathausplatz 1, 12345 Musterstadt"
    start: datetime  # aware, or naive Europe/Berlin time (as format_slot reads it)
    citizen_name: str = ""
    documents: tuple[str, ...] = ()  # what to bring, from the catalogue
    cancel_url: str | None = None  # a ready link (e.g. signed); None: cancellation_link(base, code)


@dataclass(frozen=True)
class MailText:
    subject: str
    body: str


def cancellation_link(public_base_url: str, code: str) -> str:
    """The page where a citizen cancels with the booking code, e.g.
    http://127.0.0.1:8000/termin/absagen?code=K7M2P9QX."""
    return f"{public_base_url.rstrip('/')}/termin/absagen?code={quote(code, safe='')}"


def _cancel_url(mail: BookingMail, public_base_url: str) -> str:
    return mail.cancel_url or cancellation_link(public_base_url, mail.code)


def _greeting(mail: BookingMail) -> str:
    name = " ".join(mail.citizen_name.split())
    return f"Guten Tag {name}," if name else "Guten Tag,"


def _details(mail: BookingMail) -> list[str]:
    return [
        f"Leistung: {mail.service}",
        f"Termin: {format_slot(mail.start)}",
        f"Ort: {mail.office}, {mail.office_address}",
        f"Buchungscode: {mail.code}",
    ]


def _documents(mail: BookingMail) -> list[str]:
    if not mail.documents:
        return []
    return ["", "Bitte bringen Sie mit:", *(f"- {document}" for document in mail.documents)]


def _mail(
    mail: BookingMail,
    public_base_url: str,
    *,
    subject: str,
    news: str,
    documents: bool,
    before_link: tuple[str, ...],
    after_link: tuple[str, ...] = (),
) -> MailText:
    """The one layout of every appointment e-mail: greeting, what happened, the booking's details,
    the documents, the link with a line before and after, the closing."""
    lines = [
        _greeting(mail),
        "",
        news,
        "",
        *_details(mail),
        *(_documents(mail) if documents else []),
        "",
        *before_link,
        _cancel_url(mail, public_base_url),
        *after_link,
        "",
        GREETING_CLOSE,
    ]
    return MailText(subject=f"{subject}: {mail.service} am {format_slot(mail.start)}", body="\n".join(lines) + "\n")


def confirmation(mail: BookingMail, public_base_url: str) -> MailText:
    """Sent when the booking is confirmed."""
    return _mail(
        mail,
        public_base_url,
        subject="Terminbestätigung",
        news="Ihr Termin ist gebucht.",
        documents=True,
        before_link=(
            "Halten Sie bitte den Buchungscode bereit.",
            "",
            "Wenn Sie nicht kommen können, sagen Sie den Termin bitte ab,",
            "damit jemand anderes ihn nutzen kann:",
        ),
    )


def reminder(mail: BookingMail, public_base_url: str) -> MailText:
    """Sent the day before (bot.backend.mail.schedule.schedule_for)."""
    return _mail(
        mail,
        public_base_url,
        subject="Erinnerung",
        news="wir erinnern Sie an Ihren Termin.",
        documents=True,
        before_link=("Wenn Sie nicht kommen können, sagen Sie den Termin bitte ab:",),
    )


def cancellation(mail: BookingMail, public_base_url: str) -> MailText:
    """Sent when the booking has been cancelled."""
    return _mail(
        mail,
        public_base_url,
        subject="Termin abgesagt",
        news="Ihr Termin ist abgesagt.",
        documents=False,
        before_link=("Den Stand des Termins sehen Sie unter diesem Link:",),
        after_link=("Einen neuen Termin können Sie jederzeit im Chat vereinbaren.",),
    )
