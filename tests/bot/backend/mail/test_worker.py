"""The mail worker against a real SMTP server on loopback (aiosmtpd): MIME as sent, retries with
backoff while the server is down, no secret in last_error or the log, restarts and two workers at
once (nothing lost, nothing sent twice), and the backend's lifespan starting it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.backend.app import create_app
from bot.backend.db import make_session_factory
from bot.backend.mail import outbox, texts
from bot.backend.mail.outbox import OutboxRecord
from bot.backend.mail.worker import MailWorker, SmtpConfig
from bot.backend.settings import BackendSettings

from .conftest import SmtpServer, authenticator

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 12, 7, 8, 0)  # noqa: DTZ001 - naive UTC, the worker's clock
FROM = "Bürgerservice Musterstadt <buergerservice@musterstadt.example>"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bürgerbot//DE\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"
    "UID:K7M2P9QX@buergerbot\r\nDTSTART;TZID=Europe/Berlin:20261208T101500\r\n"
    "SUMMARY:Personalausweis – Bürgeramt Mitte\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()
MAIL = texts.BookingMail(
    code="K7M2P9QX",
    service="Personalausweis beantragen",
    office="Bürgeramt Mitte",
    office_address="Rathausplatz 1, 12345 Musterstadt",
    start=datetime(2026, 12, 8, 10, 15, tzinfo=BERLIN),
    citizen_name="Jörg Müller",
    documents=("bisheriger Personalausweis",),
)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _worker(sessions, port: int, clock: Callable[[], datetime], **smtp: object) -> MailWorker:
    config = SmtpConfig(**({"host": "127.0.0.1", "port": port, "starttls": False, "mail_from": FROM} | smtp))
    return MailWorker(sessions, config, backoff_seconds=60, max_backoff_seconds=600, max_attempts=4, clock=clock)


def _queue(sessions, count: int = 1, **values: object) -> list[int]:
    with sessions() as session, session.begin():
        return [
            outbox.enqueue(
                session,
                **(
                    {"to": "joerg@example.org", "subject": f"Nachricht {n}", "body": "Grüße\n", "kind": "notice"}
                    | values
                ),
                now=START,
            )
            for n in range(count)
        ]


def _row(sessions, message_id: int) -> OutboxRecord:
    with sessions() as session:
        return session.get(OutboxRecord, message_id)


def test_a_confirmation_arrives_as_utf8_text_with_the_ics_intact(sessions, smtp_server: SmtpServer, clock):
    mail = texts.confirmation(MAIL, "http://127.0.0.1:8000")
    (message_id,) = _queue(
        sessions,
        to="joerg@example.org",
        subject=mail.subject,
        body=mail.body,
        kind="confirmation",
        booking_id=1,
        attachments=[("termin.ics", "text/calendar", ICS)],
    )
    assert _worker(sessions, smtp_server.port, clock).deliver_due() == 1

    (received,) = smtp_server.received
    assert received.mail_from == "buergerservice@musterstadt.example"
    assert received.rcpt_tos == ["joerg@example.org"]
    message = received.message
    assert str(message["From"]) == FROM
    assert str(message["To"]) == "joerg@example.org"
    assert str(message["Subject"]) == mail.subject  # umlauts and the en dash survive RFC 2047
    assert message["Message-ID"] == f"<outbox.{message_id}.20261207080000@musterstadt.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] is not None
    assert message.get_content_type() == "multipart/mixed"
    text_part, ics_part = message.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert text_part.get_content_charset() == "utf-8"
    assert text_part.get_content().replace("\r\n", "\n") == mail.body  # CRLF on the wire
    assert "Jörg Müller" in text_part.get_content()
    assert ics_part.get_content_type() == "text/calendar"
    assert ics_part.get_param("method") == "PUBLISH"
    assert ics_part.get_filename() == "termin.ics"
    assert ics_part.get_content_disposition() == "attachment"
    assert ics_part.get_payload(decode=True) == ICS
    assert max(len(line) for line in received.content.splitlines()) <= 78  # nothing over SMTP's line limit

    row = _row(sessions, message_id)
    assert (row.sent_at, row.attempts, row.last_error, row.claim_token) == (START, 1, None, None)
    assert _worker(sessions, smtp_server.port, clock).deliver_due() == 0  # and never again


def test_a_message_without_attachments_is_a_single_text_part(sessions, smtp_server: SmtpServer, clock):
    _queue(sessions, body="Sehr geehrte Frau Weiß,\nIhr Antrag ist eingegangen.\n")
    _worker(sessions, smtp_server.port, clock).deliver_due()
    message: EmailMessage = smtp_server.received[0].message
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Sehr geehrte Frau Weiß,\r\nIhr Antrag ist eingegangen.\r\n"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"


def test_server_down_counts_attempts_backs_off_and_delivers_later(sessions, smtp_port_down: SmtpServer, clock, caplog):
    first, second = _queue(sessions, count=2)
    worker = _worker(sessions, smtp_port_down.port, clock)
    with caplog.at_level(logging.WARNING, logger="bot.backend.mail.worker"):
        assert worker.deliver_due() == 0
    for message_id in (first, second):
        row = _row(sessions, message_id)
        assert row.attempts == 1 and row.sent_at is None and row.claim_token is None
        assert row.last_error.startswith("ConnectionRefusedError")
        assert row.send_after == START + timedelta(seconds=60)
    assert "not sent, attempt 1" in caplog.text

    clock.advance(seconds=59)
    assert worker.deliver_due() == 0  # still backing off: no new attempt
    assert _row(sessions, first).attempts == 1
    clock.advance(seconds=1)
    assert worker.deliver_due() == 0
    assert _row(sessions, first).attempts == 2
    assert _row(sessions, first).send_after == clock.now + timedelta(seconds=120)  # doubled

    smtp_port_down.start()
    clock.advance(seconds=120)
    assert worker.deliver_due() == 2
    assert sorted(str(r.message["Subject"]) for r in smtp_port_down.received) == ["Nachricht 0", "Nachricht 1"]
    row = _row(sessions, first)
    assert (row.attempts, row.last_error, row.sent_at) == (3, None, clock.now)


def test_after_the_last_attempt_the_message_is_given_up(sessions, smtp_port_down: SmtpServer, clock):
    (message_id,) = _queue(sessions)
    worker = _worker(sessions, smtp_port_down.port, clock)
    for _ in range(4):
        worker.deliver_due()
        clock.advance(hours=1)
    row = _row(sessions, message_id)
    assert (row.attempts, row.failed_at is not None) == (4, True)
    smtp_port_down.start()
    assert worker.deliver_due() == 0
    assert smtp_port_down.received == []


def test_login_works_and_a_refused_login_leaks_no_password(sessions, smtp_port_down: SmtpServer, clock, caplog):
    smtp_port_down.start(authenticator=authenticator("bot", "richtig-geheim"), auth_require_tls=False)
    (refused,) = _queue(sessions)
    wrong = _worker(sessions, smtp_port_down.port, clock, user="bot", password=SecretStr("falsch-geheim-4711"))
    with caplog.at_level(logging.DEBUG):
        assert wrong.deliver_due() == 0
    row = _row(sessions, refused)
    assert row.last_error.startswith("SMTPAuthenticationError: 535")
    assert "falsch-geheim-4711" not in row.last_error + caplog.text
    assert "falsch-geheim-4711" not in repr(wrong._smtp)

    clock.advance(hours=1)
    right = _worker(sessions, smtp_port_down.port, clock, user="bot", password=SecretStr("richtig-geheim"))
    assert right.deliver_due() == 1


def test_starttls_required_but_not_offered_sends_nothing_in_clear(sessions, smtp_server: SmtpServer, clock):
    (message_id,) = _queue(sessions)
    assert _worker(sessions, smtp_server.port, clock, starttls=True).deliver_due() == 0
    assert smtp_server.received == []
    assert _row(sessions, message_id).last_error.startswith("SMTPNotSupportedError")


def test_a_refused_recipient_fails_alone(sessions, smtp_server: SmtpServer, clock):
    smtp_server.recorder.refuse = {"weg@example.org"}
    bad, good = _queue(sessions, count=1, to="weg@example.org") + _queue(sessions, count=1)
    assert _worker(sessions, smtp_server.port, clock).deliver_due() == 1
    assert _row(sessions, good).sent_at == START
    failed = _row(sessions, bad)
    assert failed.sent_at is None and failed.failed_at is None  # tried again later: a 550 may be passing
    assert failed.last_error.startswith("SMTPRecipientsRefused") and "550" in failed.last_error


def test_cancelled_and_future_messages_are_not_sent(sessions, smtp_server: SmtpServer, clock):
    with sessions() as session, session.begin():
        outbox.enqueue(
            session, to="a@example.org", subject="Erinnerung", body="x", kind="reminder", booking_id=3, now=START
        )
        outbox.enqueue(
            session,
            to="a@example.org",
            subject="später",
            body="x",
            kind="notice",
            send_after=START + timedelta(days=1),
            now=START,
        )
        outbox.cancel_pending(session, 3, ["reminder"], now=START)
    assert _worker(sessions, smtp_server.port, clock).deliver_due() == 0
    clock.advance(days=1)
    assert _worker(sessions, smtp_server.port, clock).deliver_due() == 1
    assert [str(r.message["Subject"]) for r in smtp_server.received] == ["später"]


def test_a_new_worker_sends_what_was_queued_and_what_a_dead_worker_held(sessions, smtp_server: SmtpServer, clock):
    queued_while_down = _queue(sessions, count=3)
    with sessions() as session, session.begin():  # a worker claimed one, then its process died
        assert outbox.claim(session, queued_while_down[0], now=START, lease=timedelta(minutes=5), token="dead")

    restarted = _worker(sessions, smtp_server.port, clock)
    assert restarted.deliver_due() == 2  # the held one waits for its claim to run out
    clock.advance(minutes=6)
    assert restarted.deliver_due() == 1
    assert len(smtp_server.received) == 3
    assert all(_row(sessions, message_id).sent_at is not None for message_id in queued_while_down)


def test_two_workers_at_once_send_every_message_exactly_once(any_engine, smtp_server: SmtpServer, clock):
    sessions = make_session_factory(any_engine)
    ids = _queue(sessions, count=30)
    workers = [_worker(make_session_factory(any_engine), smtp_server.port, clock) for _ in range(2)]
    for worker in workers:
        worker._batch = 50
    barrier = threading.Barrier(2)
    delivered: list[int] = []

    def run(worker: MailWorker) -> None:
        barrier.wait()
        delivered.append(worker.deliver_due())

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    message_ids = [r.message["Message-ID"] for r in smtp_server.received]
    assert len(message_ids) == len(set(message_ids)) == 30
    assert sum(delivered) == 30
    with sessions() as session:
        rows = session.execute(sa.select(OutboxRecord).where(OutboxRecord.id.in_(ids))).scalars().all()
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.02)


def test_the_backend_starts_the_worker_and_keeps_answering_while_it_sends(tmp_path, smtp_server: SmtpServer):
    smtp_server.recorder.delay = 1.5  # the server takes its time with DATA
    settings = BackendSettings(
        data_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_starttls=False,
        mail_poll_seconds=0.05,
    )
    with TestClient(create_app(settings)) as client:
        sessions = client.app.state.session_factory
        with sessions() as session, session.begin():
            message_id = outbox.enqueue(session, to="a@example.org", subject="Hallo", body="Grüße\n", kind="notice")
        _wait_for(lambda: _row(sessions, message_id).claim_token is not None)  # the worker is inside DATA
        started = time.monotonic()
        assert client.get("/health").status_code == 200
        assert time.monotonic() - started < 1.0  # the event loop was not blocked by smtplib
        _wait_for(lambda: _row(sessions, message_id).sent_at is not None)
    assert [str(r.message["Subject"]) for r in smtp_server.received] == ["Hallo"]


def test_without_smtp_the_outbox_fills_and_the_start_says_so(tmp_path, caplog):
    with (
        caplog.at_level(logging.INFO, logger="bot.backend.mail.worker"),
        TestClient(create_app(BackendSettings(data_dir=tmp_path, smtp_host=""))) as client,
    ):
        assert client.app.state.mail_worker is None
        sessions = client.app.state.session_factory
        with sessions() as session, session.begin():
            message_id = outbox.enqueue(session, to="a@example.org", subject="Hallo", body="x", kind="notice")
        assert _row(sessions, message_id).sent_at is None
    assert "SMTP not configured (BUERGERBOT_SMTP_HOST is empty)" in caplog.text


def test_the_smtp_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BUERGERBOT_SMTP_HOST", "mail.musterstadt.example")
    monkeypatch.setenv("BUERGERBOT_SMTP_PASSWORD", "geheim")
    monkeypatch.setenv("BUERGERBOT_SMTP_STARTTLS", "false")
    settings = BackendSettings()
    config = SmtpConfig.from_settings(settings)
    assert config is not None
    assert (config.host, config.port, config.starttls) == ("mail.musterstadt.example", 587, False)
    assert config.password is not None and config.password.get_secret_value() == "geheim"
    assert "geheim" not in repr(settings) + repr(config)
    monkeypatch.setenv("BUERGERBOT_SMTP_PASSWORD", "")
    assert BackendSettings().smtp_password is None
    assert SmtpConfig.from_settings(BackendSettings(smtp_host="")) is None
