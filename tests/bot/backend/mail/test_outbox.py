"""The outbox table: queued in the caller's transaction, one live message of a kind per booking
(also under concurrent calls), cancelling what is pending, what is due and in which order, and
claims of which exactly one wins."""

from __future__ import annotations

import base64
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.backend.db import make_session_factory
from bot.backend.mail import outbox
from bot.backend.mail.outbox import InvalidMail, OutboxRecord

NOW = datetime(2026, 12, 7, 8, 0)  # noqa: DTZ001 - naive UTC, as stored
ICS = "BEGIN:VCALENDAR\r\nSUMMARY:Bürgeramt\r\nEND:VCALENDAR\r\n".encode()


def _queue(session, **overrides):
    values = {"to": "anna@example.org", "subject": "Terminbestätigung", "body": "Guten Tag,\n", "kind": "confirmation"}
    return outbox.enqueue(session, **(values | overrides), now=NOW)


def _rows(sessions) -> list[OutboxRecord]:
    with sessions() as session:
        return list(session.execute(sa.select(OutboxRecord).order_by(OutboxRecord.id)).scalars())


def test_enqueue_stores_the_message_with_its_attachments(sessions):
    with sessions() as session, session.begin():
        message_id = _queue(session, attachments=[("termin.ics", "text/calendar", ICS)], booking_id=7)
    (row,) = _rows(sessions)
    assert row.id == message_id
    assert (row.kind, row.to_address, row.subject, row.booking_id) == (
        "confirmation",
        "anna@example.org",
        "Terminbestätigung",
        7,
    )
    assert row.attachments == [
        {"filename": "termin.ics", "mime": "text/calendar", "base64": base64.b64encode(ICS).decode()}
    ]
    assert base64.b64decode(row.attachments[0]["base64"]).decode() == ICS.decode()
    assert (row.send_after, row.created_at, row.sent_at, row.attempts, row.last_error) == (NOW, NOW, None, 0, None)


def test_send_after_is_stored_in_utc(sessions):
    berlin_nine = datetime(2026, 12, 7, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    with sessions() as session, session.begin():
        _queue(session, kind="reminder", booking_id=1, send_after=berlin_nine)
    assert _rows(sessions)[0].send_after == NOW  # 09:00 in Berlin is 08:00 UTC


def test_enqueue_belongs_to_the_callers_transaction(sessions):
    with sessions() as session:
        _queue(session)
        _queue(session, kind="reminder", booking_id=3)
        session.rollback()
    assert _rows(sessions) == []


def test_a_reminder_is_not_queued_twice_for_one_booking(any_engine):
    sessions = make_session_factory(any_engine)
    with sessions() as session, session.begin():
        first = _queue(session, kind="reminder", booking_id=5)
        again = _queue(session, kind="reminder", booking_id=5, subject="Erinnerung, noch einmal")
        confirmation = _queue(session, kind="confirmation", booking_id=5)
        other_booking = _queue(session, kind="reminder", booking_id=6)
    with sessions() as session, session.begin():
        later = _queue(session, kind="reminder", booking_id=5)
    assert first == again == later
    assert len({first, confirmation, other_booking}) == 3
    assert [row.subject for row in _rows(sessions)].count("Erinnerung, noch einmal") == 0


def test_messages_without_a_booking_are_never_merged(sessions):
    with sessions() as session, session.begin():
        ids = {_queue(session, kind="notice") for _ in range(3)}
    assert len(ids) == 3


def test_concurrent_enqueues_of_one_reminder_leave_one_row(any_engine):
    sessions = make_session_factory(any_engine)
    barrier = threading.Barrier(8)
    ids: list[int] = []
    errors: list[BaseException] = []

    def enqueue() -> None:
        try:
            with sessions() as session, session.begin():
                barrier.wait()
                ids.append(_queue(session, kind="reminder", booking_id=42))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=enqueue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 1
    assert len(_rows(sessions)) == 1


def test_cancel_pending_cancels_only_the_unsent_messages_of_those_kinds(sessions):
    with sessions() as session, session.begin():
        sent = _queue(session, kind="confirmation", booking_id=9)
        reminder = _queue(session, kind="reminder", booking_id=9)
        _queue(session, kind="reminder", booking_id=10)
        session.execute(sa.update(OutboxRecord).where(OutboxRecord.id == sent).values(sent_at=NOW))
    with sessions() as session, session.begin():
        assert outbox.cancel_pending(session, 9, ["reminder", "confirmation"], now=NOW) == 1
    with sessions() as session, session.begin():
        assert outbox.cancel_pending(session, 9, ["reminder"], now=NOW) == 0
    rows = {(row.booking_id, row.kind): row for row in _rows(sessions)}
    assert rows[9, "reminder"].cancelled_at == NOW
    assert rows[9, "confirmation"].cancelled_at is None
    assert rows[10, "reminder"].cancelled_at is None
    with sessions() as session:
        assert reminder not in [row.id for row in outbox.due(session, NOW + timedelta(days=1), 10)]


def test_a_cancelled_reminder_can_be_queued_anew(any_engine):
    """A moved booking: the old reminder is cancelled, the new one queued."""
    sessions = make_session_factory(any_engine)
    with sessions() as session, session.begin():
        old = _queue(session, kind="reminder", booking_id=11)
        outbox.cancel_pending(session, 11, ["reminder"], now=NOW)
        new = _queue(session, kind="reminder", booking_id=11)
    assert new != old
    with sessions() as session:
        assert [row.id for row in outbox.due(session, NOW, 10)] == [new]


def test_due_lists_what_is_sendable_longest_waiting_first(sessions):
    with sessions() as session, session.begin():
        late = _queue(session, subject="spät", send_after=NOW - timedelta(minutes=1))
        early = _queue(session, subject="früh", send_after=NOW - timedelta(hours=2))
        same_time_first = _queue(session, subject="a", send_after=NOW - timedelta(hours=1))
        same_time_second = _queue(session, subject="b", send_after=NOW - timedelta(hours=1))
        _queue(session, subject="Zukunft", send_after=NOW + timedelta(minutes=1))
        sent = _queue(session, subject="gesendet")
        claimed = _queue(session, subject="in Arbeit")
        stale_claim = _queue(session, subject="Claim abgelaufen", send_after=NOW - timedelta(minutes=30))
        given_up = _queue(session, subject="aufgegeben")
        values = {
            sent: {"sent_at": NOW},
            claimed: {"claimed_until": NOW + timedelta(minutes=1), "claim_token": "x"},
            stale_claim: {"claimed_until": NOW - timedelta(seconds=1), "claim_token": "y"},
            given_up: {"failed_at": NOW},
        }
        for message_id, changes in values.items():
            session.execute(sa.update(OutboxRecord).where(OutboxRecord.id == message_id).values(**changes))
    with sessions() as session:
        assert [row.id for row in outbox.due(session, NOW, 10)] == [
            early,
            same_time_first,
            same_time_second,
            stale_claim,
            late,
        ]
        assert [row.id for row in outbox.due(session, NOW, 2)] == [early, same_time_first]
        aware_now = NOW.replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=1)))
        assert len(outbox.due(session, aware_now, 10)) == 5


def test_of_two_claims_exactly_one_wins_and_counts_the_attempt(any_engine):
    sessions = make_session_factory(any_engine)
    with sessions() as session, session.begin():
        message_id = _queue(session)
    lease = timedelta(minutes=5)
    with sessions() as session, session.begin():
        first = outbox.claim(session, message_id, now=NOW, lease=lease, token="a")
    with sessions() as session, session.begin():
        second = outbox.claim(session, message_id, now=NOW + timedelta(minutes=1), lease=lease, token="b")
    assert first is not None and first.attempts == 1 and first.claim_token == "a"
    assert second is None
    with sessions() as session, session.begin():
        assert not outbox.mark_sent(session, message_id, "b", now=NOW)
        assert outbox.mark_sent(session, message_id, "a", now=NOW)
    with sessions() as session, session.begin():
        assert outbox.claim(session, message_id, now=NOW + timedelta(hours=1), lease=lease, token="c") is None
    (row,) = _rows(sessions)
    assert (row.sent_at, row.claim_token, row.claimed_until, row.attempts) == (NOW, None, None, 1)


def test_a_claim_that_ran_out_can_be_taken_over(sessions):
    with sessions() as session, session.begin():
        message_id = _queue(session)
        assert outbox.claim(session, message_id, now=NOW, lease=timedelta(minutes=5), token="dead")
    with sessions() as session, session.begin():
        taken = outbox.claim(
            session, message_id, now=NOW + timedelta(minutes=6), lease=timedelta(minutes=5), token="new"
        )
        assert taken is not None and taken.attempts == 2
        assert not outbox.mark_failed(session, message_id, "dead", error="x", retry_at=None, now=NOW)


def test_mark_failed_plans_the_retry_or_gives_up(sessions):
    with sessions() as session, session.begin():
        retried = _queue(session, subject="nochmal")
        abandoned = _queue(session, subject="aufgeben")
        for message_id in (retried, abandoned):
            outbox.claim(session, message_id, now=NOW, lease=timedelta(minutes=5), token=f"t{message_id}")
        outbox.mark_failed(
            session, retried, f"t{retried}", error="OSError: down", retry_at=NOW + timedelta(minutes=1), now=NOW
        )
        outbox.mark_failed(session, abandoned, f"t{abandoned}", error="SMTP 550", retry_at=None, now=NOW)
    rows = {row.id: row for row in _rows(sessions)}
    assert (rows[retried].send_after, rows[retried].last_error, rows[retried].failed_at) == (
        NOW + timedelta(minutes=1),
        "OSError: down",
        None,
    )
    assert rows[abandoned].failed_at == NOW
    with sessions() as session:
        assert outbox.due(session, NOW, 10) == []
        assert [row.id for row in outbox.due(session, NOW + timedelta(minutes=1), 10)] == [retried]


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("to", {"to": "anna@example.org\r\nBcc: eve@example.org"}),
        ("to", {"to": "anna@example.org, eve@example.org"}),
        ("to", {"to": "keine-adresse"}),
        ("subject", {"subject": "Termin\nBcc: eve@example.org"}),
        ("subject", {"subject": " "}),
        ("kind", {"kind": "Reminder!"}),
        ("attachment filename", {"attachments": [("a\r\n.ics", "text/calendar", b"x")]}),
        ("attachment mime", {"attachments": [("a.ics", "calendar", b"x")]}),
    ],
)
def test_what_cannot_go_into_an_e_mail_is_refused_by_name(sessions, field, overrides):
    with sessions() as session, pytest.raises(InvalidMail) as raised:
        _queue(session, **overrides)
    assert raised.value.field == field
    assert field in str(raised.value)
