"""The outbox: e-mails are written in the same transaction as the booking that causes them and
sent later by the worker (bot/backend/mail/worker.py). The table is the only state, so a restart
loses nothing, and a row is claimed with one conditional UPDATE, so two workers never send it twice.

Times are naive UTC, as everywhere in the backend's tables (SQLite keeps no zone); functions here
accept aware datetimes too and convert them."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.backend.tables import Base

_KIND = re.compile(r"[a-z][a-z_]{0,31}")
_MIME = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*(\s*;.*)?", re.IGNORECASE)


class InvalidMail(ValueError):
    """A field of a message to enqueue that cannot go into an e-mail (named, with its value)."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(f"{field}={value!r}: {reason}")
        self.field = field
        self.value = value


class OutboxRecord(Base):
    """One e-mail, from queued to sent (or cancelled, or given up after its last attempt)."""

    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(32), nullable=False)  # confirmation | reminder | cancellation | ...
    to_address = Column(String(320), nullable=False)
    subject = Column(String(300), nullable=False)
    body = Column(Text, nullable=False)  # plain text
    attachments = Column(JSON, nullable=False, default=list)  # [{"filename", "mime", "base64"}]
    booking_id = Column(Integer, nullable=True)  # no foreign key: bookings live in their own module
    send_after = Column(DateTime, nullable=False)
    created_at = Column(DateTime, nullable=False)
    sent_at = Column(DateTime, nullable=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)  # never holds a secret (worker._describe)
    claimed_until = Column(DateTime, nullable=True)  # a worker is sending it until then
    claim_token = Column(String(32), nullable=True)  # which worker's claim
    cancelled_at = Column(DateTime, nullable=True)
    failed_at = Column(DateTime, nullable=True)  # given up: the last allowed attempt failed

    __table_args__ = (
        # One live message of a kind per booking (a reminder is never queued twice); cancelled
        # rows do not count, so a moved booking can get its reminder again.
        Index(
            "uq_outbox_booking_kind",
            "booking_id",
            "kind",
            unique=True,
            sqlite_where=sa.text("cancelled_at IS NULL"),
            postgresql_where=sa.text("cancelled_at IS NULL"),
        ),
        Index("ix_outbox_due", "sent_at", "send_after"),
    )


def utc(moment: datetime) -> datetime:
    """Naive UTC, as stored; a naive input is taken to be UTC already."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo is not None else moment


def _now(now: datetime | None) -> datetime:
    return utc(now) if now is not None else datetime.now(timezone.utc).replace(tzinfo=None)


def _one_line(field: str, value: str, *, limit: int) -> None:
    if not value.strip():
        raise InvalidMail(field, value, "must not be empty")
    if "\r" in value or "\n" in value:
        raise InvalidMail(field, value, "must be one line (no CR or LF)")
    if len(value) > limit:
        raise InvalidMail(field, value, f"longer than {limit} characters")


def _check(to: str, subject: str, kind: str, attachments: Sequence[tuple[str, str, bytes]]) -> None:
    _one_line("to", to, limit=320)
    if to.count("@") != 1 or "," in to or "<" in to or " " in to.strip():
        raise InvalidMail("to", to, "expected one bare address like name@example.org")
    _one_line("subject", subject, limit=300)
    if not _KIND.fullmatch(kind):
        raise InvalidMail("kind", kind, "expected lower-case letters and underscores, e.g. 'reminder'")
    for filename, mime, data in attachments:
        _one_line("attachment filename", filename, limit=200)
        if not _MIME.fullmatch(mime):
            raise InvalidMail("attachment mime", mime, "expected a MIME type like text/calendar")
        if not isinstance(data, bytes):
            raise InvalidMail("attachment data", type(data).__name__, "expected bytes")


def enqueue(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    send_after: datetime | None = None,
    kind: str,
    booking_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Queue one e-mail in the caller's transaction (nothing is committed here) and return its id.

    `attachments` are (filename, MIME type, content). `send_after` defaults to now. With a
    `booking_id`, a second live message of the same kind for that booking is not queued: the id of
    the one already there is returned (the database decides, also under concurrent calls)."""
    _check(to, subject, kind, attachments)
    created = _now(now)
    values: dict[str, Any] = {
        "kind": kind,
        "to_address": to.strip(),
        "subject": subject,
        "body": body,
        "attachments": [
            {"filename": filename, "mime": mime, "base64": base64.b64encode(data).decode("ascii")}
            for filename, mime, data in attachments
        ],
        "booking_id": booking_id,
        "send_after": utc(send_after) if send_after is not None else created,
        "created_at": created,
        "attempts": 0,
    }
    dialect = session.get_bind().dialect.name
    if booking_id is None or dialect not in ("sqlite", "postgresql"):
        record = OutboxRecord(**values)
        session.add(record)
        session.flush()
        return int(record.id)
    insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(OutboxRecord.__table__)
    result = session.execute(insert.values(**values).on_conflict_do_nothing())
    if result.rowcount == 1:
        return int(result.inserted_primary_key[0])
    existing = session.execute(
        sa.select(OutboxRecord.id).where(
            OutboxRecord.booking_id == booking_id, OutboxRecord.kind == kind, OutboxRecord.cancelled_at.is_(None)
        )
    ).scalar_one()
    return int(existing)


def cancel_pending(session: Session, booking_id: int, kinds: Iterable[str], *, now: datetime | None = None) -> int:
    """Cancel the unsent messages of these kinds for a booking (e.g. the reminder of a cancelled
    booking), in the caller's transaction; returns how many. A message a worker is sending at this
    very moment may still go out."""
    result = session.execute(
        sa.update(OutboxRecord)
        .where(
            OutboxRecord.booking_id == booking_id,
            OutboxRecord.kind.in_(list(kinds)),
            OutboxRecord.sent_at.is_(None),
            OutboxRecord.cancelled_at.is_(None),
            OutboxRecord.failed_at.is_(None),
        )
        .values(cancelled_at=_now(now))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


def _sendable(now: datetime) -> tuple[Any, ...]:
    return (
        OutboxRecord.sent_at.is_(None),
        OutboxRecord.cancelled_at.is_(None),
        OutboxRecord.failed_at.is_(None),
        OutboxRecord.send_after <= now,
        sa.or_(OutboxRecord.claimed_until.is_(None), OutboxRecord.claimed_until < now),
    )


def due(session: Session, now: datetime, limit: int) -> list[OutboxRecord]:
    """Messages to send now, the longest waiting first: unsent, not cancelled or given up, past
    their `send_after`, and not claimed by a worker (or its claim ran out)."""
    now = utc(now)
    query = sa.select(OutboxRecord).where(*_sendable(now)).order_by(OutboxRecord.send_after, OutboxRecord.id)
    return list(session.execute(query.limit(limit)).scalars())


def claim(session: Session, message_id: int, *, now: datetime, lease: timedelta, token: str) -> OutboxRecord | None:
    """Take a due message for sending until `now + lease`, counting the attempt: one UPDATE whose
    WHERE repeats what `due` asks, so of two workers exactly one gets the row. None: someone else
    has it, or it is no longer due. The caller commits before it sends."""
    now = utc(now)
    result = session.execute(
        sa.update(OutboxRecord)
        .where(OutboxRecord.id == message_id, *_sendable(now))
        .values(claimed_until=now + lease, claim_token=token, attempts=OutboxRecord.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    record: OutboxRecord = session.execute(
        sa.select(OutboxRecord).where(OutboxRecord.id == message_id).execution_options(populate_existing=True)
    ).scalar_one()
    return record


def mark_sent(session: Session, message_id: int, token: str, *, now: datetime) -> bool:
    """Record the delivery of a message this claim holds (False: the claim was lost)."""
    result = session.execute(
        sa.update(OutboxRecord)
        .where(OutboxRecord.id == message_id, OutboxRecord.claim_token == token, OutboxRecord.sent_at.is_(None))
        .values(sent_at=utc(now), claimed_until=None, claim_token=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def mark_failed(
    session: Session, message_id: int, token: str, *, error: str, retry_at: datetime | None, now: datetime
) -> bool:
    """Record a failed attempt: tried again from `retry_at`, or given up when it is None."""
    values: dict[str, Any] = {"claimed_until": None, "claim_token": None, "last_error": error}
    if retry_at is None:
        values["failed_at"] = utc(now)
    else:
        values["send_after"] = utc(retry_at)
    result = session.execute(
        sa.update(OutboxRecord)
        .where(OutboxRecord.id == message_id, OutboxRecord.claim_token == token, OutboxRecord.sent_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)
