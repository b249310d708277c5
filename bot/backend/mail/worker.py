"""The mail worker: sends the outbox's due messages through SMTP (standard library, in a thread,
so the event loop never waits on the network or the database), one claimed row at a time.

- Delivered: `sent_at` is set. Failed: `attempts`, `last_error` (no secrets) and a later
  `send_after` with exponential backoff; after `max_attempts` the message is given up (`failed_at`).
- Restarts lose nothing: all state is in the table; a row claimed by a worker that died is free
  again when its claim runs out (it may then be sent a second time: at least once, never lost).
- Two workers never send one message twice: a row is claimed by one conditional UPDATE."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import smtplib
import ssl
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from pydantic import SecretStr
from sqlalchemy.orm import sessionmaker

from bot.backend.mail import outbox
from bot.backend.mail.outbox import OutboxRecord
from bot.backend.settings import BackendSettings

logger = logging.getLogger(__name__)

ERROR_LIMIT = 500  # characters of last_error


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    user: str = ""
    password: SecretStr | None = field(default=None, repr=False)
    starttls: bool = True
    mail_from: str = "buergerservice@localhost"
    timeout_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: BackendSettings) -> SmtpConfig | None:
        """None when no SMTP server is configured (BUERGERBOT_SMTP_HOST empty)."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            mail_from=settings.mail_from,
            timeout_seconds=settings.smtp_timeout_seconds,
        )

    @property
    def envelope_from(self) -> str:
        return parseaddr(self.mail_from)[1]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _mime_parts(mime: str) -> tuple[str, str, dict[str, str]]:
    """ "text/calendar; method=PUBLISH" -> ("text", "calendar", {"method": "PUBLISH"})."""
    kind, *parameters = (part.strip() for part in mime.split(";"))
    maintype, subtype = kind.lower().split("/", 1)
    params = {}
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip():
            params[key.strip().lower()] = value.strip().strip('"')
    return maintype, subtype, params


def build_message(record: OutboxRecord, mail_from: str, *, date: datetime | None = None) -> EmailMessage:
    """The MIME message of an outbox row: text/plain in UTF-8 (quoted-printable, readable by any
    server), each attachment base64; a text/calendar attachment gets method=PUBLISH unless it says
    otherwise. The Message-ID is the same on every attempt, so a receiver can drop a repeat."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = record.to_address
    message["Subject"] = record.subject
    message["Date"] = format_datetime(date or datetime.now(timezone.utc))
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<outbox.{record.id}.{record.created_at:%Y%m%d%H%M%S}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(record.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    for attachment in record.attachments:
        maintype, subtype, params = _mime_parts(attachment["mime"])
        if (maintype, subtype) == ("text", "calendar"):
            params.setdefault("method", "PUBLISH")
        if maintype == "text":
            params.setdefault("charset", "utf-8")
        message.add_attachment(
            base64.b64decode(attachment["base64"]),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
            params=params,
        )
    return message


class MailWorker:
    """Polls the outbox and sends what is due. `deliver_due` is one synchronous round (tests call
    it directly); `start`/`stop` run rounds in a thread every `poll_seconds` from the event loop."""

    def __init__(
        self,
        session_factory: sessionmaker,
        smtp: SmtpConfig,
        *,
        poll_seconds: float = 5.0,
        batch: int = 20,
        backoff_seconds: float = 60.0,
        max_backoff_seconds: float = 3600.0,
        max_attempts: int = 10,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sessions = session_factory
        self._smtp = smtp
        self.poll_seconds = poll_seconds
        self._batch = batch
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._max_attempts = max_attempts
        self._clock = clock
        # A claim outlives the slowest attempt (connect, STARTTLS, AUTH, DATA, each with a timeout).
        self._lease = timedelta(seconds=max(300.0, 6 * smtp.timeout_seconds))
        self._stopping = threading.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._stopping.clear()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="mail-worker")
        logger.info(
            "mail worker started: SMTP %s:%d, every %.0f s", self._smtp.host, self._smtp.port, self.poll_seconds
        )

    async def stop(self) -> None:
        """Finishes the message being sent (the thread cannot be interrupted), then stops."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=2 * self._smtp.timeout_seconds)
            except asyncio.TimeoutError:
                self._task.cancel()
                with suppress(asyncio.CancelledError):
                    await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.to_thread(self.deliver_due)
            except Exception:
                logger.exception("mail worker round failed")
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    # ------------------------------------------------------------------ one round
    def deliver_due(self) -> int:
        """Claims and sends the due messages, one at a time; returns how many were delivered."""
        with self._sessions() as session:
            candidates = [record.id for record in outbox.due(session, self._clock(), self._batch)]
        delivered = 0
        connection: smtplib.SMTP | None = None
        connect_error: Exception | None = None
        try:
            for message_id in candidates:
                if self._stopping.is_set():
                    break
                token = secrets.token_hex(16)
                with self._sessions() as session, session.begin():
                    record = outbox.claim(session, message_id, now=self._clock(), lease=self._lease, token=token)
                if record is None:
                    continue  # another worker has it, or it was cancelled meanwhile
                if connect_error is None and connection is None:
                    try:
                        connection = self._connect()
                    except (smtplib.SMTPException, OSError) as exc:
                        connect_error = exc
                if connect_error is not None:
                    self._failed(record, token, connect_error)
                    continue
                assert connection is not None
                try:
                    connection.send_message(
                        build_message(record, self._smtp.mail_from),
                        from_addr=self._smtp.envelope_from,
                        to_addrs=[record.to_address],
                    )
                except (smtplib.SMTPException, OSError, ValueError) as exc:
                    self._failed(record, token, exc)
                    if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
                        _close(connection)
                        connection = None
                    continue
                with self._sessions() as session, session.begin():
                    if outbox.mark_sent(session, record.id, token, now=self._clock()):
                        delivered += 1
                logger.info("mail %d (%s) sent", record.id, record.kind)
        finally:
            _close(connection)
        return delivered

    def _connect(self) -> smtplib.SMTP:
        smtp = self._smtp
        connection = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        try:
            connection.ehlo()
            if smtp.starttls:
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if smtp.user:
                password = smtp.password.get_secret_value() if smtp.password else ""
                connection.login(smtp.user, password)
        except BaseException:
            _close(connection)
            raise
        return connection

    def _failed(self, record: OutboxRecord, token: str, exc: BaseException) -> None:
        now = self._clock()
        attempts = int(record.attempts)
        retry_at: datetime | None = None
        if attempts < self._max_attempts:
            retry_at = now + timedelta(seconds=min(self._backoff * 2 ** (attempts - 1), self._max_backoff))
        error = self._describe(exc)
        with self._sessions() as session, session.begin():
            outbox.mark_failed(session, record.id, token, error=error, retry_at=retry_at, now=now)
        if retry_at is None:
            logger.error(
                "mail %d (%s) given up after %d attempts: %s", record.id, record.kind, attempts, type(exc).__name__
            )
        else:
            logger.warning(
                "mail %d (%s) not sent, attempt %d, next at %s UTC: %s",
                record.id,
                record.kind,
                attempts,
                f"{retry_at:%Y-%m-%d %H:%M:%S}",
                type(exc).__name__,
            )

    def _describe(self, exc: BaseException) -> str:
        """The error for last_error: the class and the server's answer, with the password (in
        clear or as an AUTH PLAIN/LOGIN token) blanked should a server ever echo it."""
        if isinstance(exc, smtplib.SMTPResponseException):
            answer = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            text = f"{type(exc).__name__}: {exc.smtp_code} {answer}"
        else:
            text = f"{type(exc).__name__}: {exc}"
        password = self._smtp.password.get_secret_value() if self._smtp.password else ""
        if password:
            for secret in _secret_forms(self._smtp.user, password):
                text = text.replace(secret, "***")
        return text[:ERROR_LIMIT]


def _secret_forms(user: str, password: str) -> list[str]:
    plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    login = base64.b64encode(password.encode()).decode("ascii")
    return [password, plain, login]


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def worker_from_settings(settings: BackendSettings, session_factory: sessionmaker) -> MailWorker | None:
    """The backend's worker, or None (and a log line saying so) when SMTP is not configured."""
    smtp = SmtpConfig.from_settings(settings)
    if smtp is None:
        logger.info("SMTP not configured (BUERGERBOT_SMTP_HOST is empty): e-mails stay in the outbox, unsent")
        return None
    return MailWorker(session_factory, smtp, poll_seconds=settings.mail_poll_seconds)
