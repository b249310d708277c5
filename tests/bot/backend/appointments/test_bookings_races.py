"""Races for one slot, decided by the database (SQLite file and PostgreSQL): 50 clients at once, exactly
one gets the slot, every other one a 409 with the next free slots."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import sqlalchemy as sa

from bot.backend.appointments.tables import BookingRecord, SlotClaimRecord

from .conftest import Backend

WEDDING = "2026-12-01T08:30:00+01:00"  # Standesamt: one counter
RACERS = 50


def _all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _one_winner(answers: list[Any]) -> None:
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {201: 1, 409: RACERS - 1}, statuses
    for answer in answers:
        if answer.status_code == 409:
            body = answer.json()
            assert body["code"] == "slot_taken"
            assert body["next_slots"] and all(slot["start"] > WEDDING for slot in body["next_slots"])


def _claims_of_the_slot(backend: Backend) -> list[tuple[int, int | None, str | None]]:
    with backend.session_factory() as session:
        rows = session.execute(
            sa.select(SlotClaimRecord.counter, SlotClaimRecord.booking_id, SlotClaimRecord.hold_id)
            .where(SlotClaimRecord.office_id == "standesamt")
            .order_by(SlotClaimRecord.unit)
        ).all()
    return [tuple(row) for row in rows]


def test_50_holds_of_one_slot_at_once(any_backend: Backend):
    answers = _all_at_once(
        [lambda i=i: any_backend.hold("eheschliessung", "standesamt", WEDDING, f"web:racer-{i}") for i in range(RACERS)]
    )
    _one_winner(answers)
    assert len(_claims_of_the_slot(any_backend)) == 6  # one hold: 30 minutes, 6 units


def test_50_confirmations_of_one_slot_at_once(any_backend: Backend):
    # 50 holds of the same slot, one after the other: each placed after the previous one expired.
    holds = []
    for i in range(RACERS):
        held = any_backend.hold("eheschliessung", "standesamt", WEDDING, f"web:racer-{i}")
        assert held.status_code == 201, held.text
        holds.append(held.json()["id"])
        any_backend.later(minutes=6)
    # Now every hold has expired and 50 citizens confirm at the same moment.
    answers = _all_at_once(
        [
            lambda i=i, hold=hold: any_backend.confirm(hold, f"racer{i}@example.de", key=f"race-key-{i:04d}-abcdef")
            for i, hold in enumerate(holds)
        ]
    )
    _one_winner(answers)
    winner = next(answer.json() for answer in answers if answer.status_code == 201)
    assert winner["start"] == WEDDING
    with any_backend.session_factory() as session:
        bookings = session.scalars(sa.select(BookingRecord)).all()
        assert [(b.id, b.start_at.isoformat()) for b in bookings] == [(winner["id"], "2026-12-01T07:30:00")]
    assert {(counter, booking) for counter, booking, _ in _claims_of_the_slot(any_backend)} == {(1, winner["id"])}


def test_20_clients_booking_the_next_free_slots_never_double_book(any_backend: Backend):
    """Each client searches, holds one of the first three free slots and confirms, and on a 409 takes
    one of the next slots offered. (A fresh client key per attempt: the hold limit is tested apart.)"""

    def client(i: int) -> int:
        chance = random.Random(i)
        offered = any_backend.slots("eheschliessung", limit=3)
        for attempt in range(40):
            start = chance.choice(offered)["start"]
            held = any_backend.hold("eheschliessung", "standesamt", start, f"web:client-{i}-{attempt}")
            if held.status_code == 409:
                offered = held.json()["next_slots"]
                continue
            assert held.status_code == 201, held.text
            confirmed = any_backend.confirm(held.json()["id"], f"client{i}@example.de")
            if confirmed.status_code == 201:
                return 1
            offered = confirmed.json()["next_slots"]
        return 0

    assert sum(_all_at_once([lambda i=i: client(i) for i in range(20)])) == 20
    with any_backend.session_factory() as session:
        rows = session.execute(sa.select(BookingRecord.start_at, BookingRecord.end_at)).all()
    assert len(rows) == 20
    intervals = sorted(rows)
    assert all(end <= following for (_, end), (following, _) in pairwise(intervals))
