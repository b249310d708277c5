"""The appointment bench's own pieces: the seeded calendar and the double-booking check."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.backend.appointments.tables import BookingRecord, SlotClaimRecord
from bot.backend.db import make_engine, make_session_factory
from bot.backend.seed import seed
from bot.backend.tables import Base
from bot.bench import appointments as bench
from bot.core.appointment_slots import BERLIN


def test_seeded_bookings_fill_the_next_weeks_without_overlaps(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'backend.db'}")
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        seed(session, bench.bench_catalogue(tmp_path / "catalogue"))
    monday = datetime(2026, 11, 30, 7, 0, tzinfo=BERLIN)
    in_window = bench.seed_bookings(engine, 600, monday.date(), random.Random(1))
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(BookingRecord)) == 600
        assert conn.scalar(sa.select(sa.func.count()).select_from(SlotClaimRecord)) >= 600 * 2
    assert in_window == 600  # fewer than 80 % of the next 4 weeks: all of them there
    assert bench.double_bookings(engine) == 0
    with engine.begin() as conn:
        first = conn.execute(sa.select(BookingRecord.__table__).limit(1)).mappings().one()
        copy = {**first, "id": 10_000, "open_key": None, "idempotency_hash": "x" * 64, "hold_id": "copy"}
        copy["start_at"] = first["start_at"] + timedelta(minutes=5)
        conn.execute(sa.insert(BookingRecord.__table__), [copy])
    assert bench.double_bookings(engine) == 1
    engine.dispose()


def test_a_row_says_whether_the_target_was_met():
    result = bench.Result("sqlite", 10_000, (3.0, 9.5), (4.0, 12.0), (2.0, 19.9), 20, 400, 20.0, 7, 0)
    row = bench.row_of(result, "2026-12-04 22:00 UTC", "test machine", "abc1234")
    assert "| sqlite | 10,000 | 3.0 / 9.5 | 4.0 / 12.0 | 2.0 / 19.9 | met | 20 | 400 | 20.0 | 7 | 0 |" in row
    slow = bench.Result("sqlite", 10_000, (3.0, 21.0), (4.0, 12.0), (2.0, 19.9), 20, 400, 20.0, 7, 0)
    assert "| MISSED |" in bench.row_of(slow, "now", "m", "c")
