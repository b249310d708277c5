"""`make bench-appointments`: the free-slot search with 10,000 existing bookings, and bookings per
second under 20 concurrent clients without a double booking.

The real backend process (uvicorn, as `make run` starts it) on a free loopback port, with a
temporary data directory, on SQLite (the default deployment) and on a throw-away database of the
loopback PostgreSQL. Its catalogue is the shipped one plus two more Bürgerämter that also give ID
card appointments, so the search for `personalausweis` spans three offices. The clock stands still
(`BUERGERBOT_FIXED_NOW`, next Monday 07:00), so every run sees the same calendar.

1. Seed: 10,000 bookings written straight into the tables (one code hash shared by all: the scrypt
   of 10,000 codes would take minutes and is not what is measured), 80 % of the free slots of the
   next 4 weeks of every office that gives appointments, the rest in the 8 weeks before.
2. Search latency over HTTP (one keep-alive connection, one request at a time), three kinds:
   the nearest 3 slots from a random day of the 4 weeks; the nearest 3 on Thursdays from 16:00
   (sparse); and a filter nothing matches (Sundays), which scans the whole 4 weeks.
3. Throughput: 20 client threads, each with its own connection, book until the total is reached:
   search a random appointment service, hold one of the 3 nearest slots, on a 409 take one of the
   slots it offers, confirm (a new client key and e-mail address per booking). Then the database is
   checked for two open bookings overlapping on one counter.
"""

from __future__ import annotations

import argparse
import logging
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import yaml

from bot.backend.appointments.calendars import to_db
from bot.backend.appointments.codes import email_key, sha256_hex
from bot.backend.appointments.tables import BookingRecord, CalendarRecord, OfficeServiceRecord, SlotClaimRecord
from bot.backend.db import make_engine
from bot.backend.security import DUMMY_HASH
from bot.backend.tables import OfficeRecord
from bot.core.appointment_slots import BERLIN, OfficeCalendar, day_starts, units
from bot.core.opening_hours import parse_week
from bot.infra.holiday_calendar import closed_days
from bot.infra.paths import DATA_DIR
from bot.launcher.processes import Stack, free_ports

from .report import append_row, commit_id, machine_description, now, p50_p95

logger = logging.getLogger(__name__)

SECTION = "Appointments: free-slot search and booking throughput"
HEADER = (
    "| date | machine | commit | database | bookings seeded | nearest 3 p50 / p95 | Thursdays from 16:00 "
    "p50 / p95 | nothing matches (4 weeks) p50 / p95 | search p95 < 20 ms | clients | bookings | bookings/s | "
    "409s | double bookings |"
)
INTRO = (
    "`make bench-appointments`: the real backend process on loopback (bot/bench/appointments.py), the "
    "clock stopped at a Monday 07:00. 10,000 bookings seeded: 80 % of the free slots of the next 4 "
    "weeks of every office with appointments, the rest in the 8 weeks before. Search: "
    "`GET /api/appointments/slots?service=personalausweis` (three offices: the shipped Bürgeramt and "
    "two more for the bench), one request at a time over one connection, 300 of each kind, in ms. "
    "Throughput: 20 client threads each searching, holding and confirming (scrypt of the code "
    "included) until the total is booked; 409s are lost races, answered with the next slots."
)
TARGET_P95_MS = 20.0
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SEARCH_SERVICE = "personalausweis"
PAST_WEEKS, FUTURE_DAYS, FUTURE_SHARE = 8, 28, 0.8
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Result:
    database: str
    seeded: int
    nearest: tuple[float, float]
    sparse: tuple[float, float]
    nothing: tuple[float, float]
    clients: int
    booked: int
    seconds: float
    conflicts: int
    double_bookings: int

    @property
    def bookings_per_second(self) -> float:
        return self.booked / self.seconds if self.seconds > 0 else 0.0

    @property
    def target_met(self) -> bool:
        return max(self.nearest[1], self.sparse[1], self.nothing[1]) < TARGET_P95_MS


def row_of(result: Result, when: str, machine: str, commit: str) -> str:
    def pair(values: tuple[float, float]) -> str:
        return f"{values[0]:.1f} / {values[1]:.1f}"

    cells = [
        when,
        machine,
        commit,
        result.database,
        f"{result.seeded:,}",
        pair(result.nearest),
        pair(result.sparse),
        pair(result.nothing),
        "met" if result.target_met else "MISSED",
        str(result.clients),
        str(result.booked),
        f"{result.bookings_per_second:.1f}",
        str(result.conflicts),
        str(result.double_bookings),
    ]
    return "| " + " | ".join(cells) + " |"


# --------------------------------------------------------------------------------------- set-up
def next_monday_morning() -> datetime:
    today = datetime.now(BERLIN).date()
    return datetime.combine(today + timedelta(days=7 - today.weekday()), clock(7, 0), BERLIN)


def bench_catalogue(target: Path) -> Path:
    """The shipped catalogue, plus Bürgeramt Nord and Süd giving ID card appointments too."""
    shutil.copytree(DATA_DIR / "catalogue", target)
    offices = yaml.safe_load((target / "offices.yml").read_text(encoding="utf-8"))
    central = next(o for o in offices["offices"] if o["id"] == "buergeramt")
    for suffix, name in (("nord", "Nord"), ("sued", "Süd")):
        offices["offices"].append({**central, "id": f"buergeramt_{suffix}", "name": f"Bürgeramt {name}"})
    (target / "offices.yml").write_text(yaml.safe_dump(offices, allow_unicode=True), encoding="utf-8")
    calendars = yaml.safe_load((target / "appointments.yml").read_text(encoding="utf-8"))
    calendars["offices"] |= {"buergeramt_nord": {"counters": 2}, "buergeramt_sued": {"counters": 2}}
    calendars["services"][SEARCH_SERVICE] = {"also_at": ["buergeramt_nord", "buergeramt_sued"]}
    (target / "appointments.yml").write_text(yaml.safe_dump(calendars, allow_unicode=True), encoding="utf-8")
    return target


@contextmanager
def database(kind: str, work: Path) -> Iterator[str]:
    """The database URL of one run: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{work / 'backend.db'}"
        return
    name = f"appointments_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _grid(engine: sa.engine.Engine) -> list[tuple[OfficeCalendar, str]]:
    """Per office with appointments: its calendar cut by the length most of its services have, and
    a service of that length (the seeded bookings' service)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(OfficeServiceRecord.office_id, OfficeServiceRecord.service_id, OfficeServiceRecord.minutes)
        ).all()
        counters = dict(conn.execute(sa.select(CalendarRecord.office_id, CalendarRecord.counters)).all())
        hours = dict(conn.execute(sa.select(OfficeRecord.id, OfficeRecord.opening_hours)).all())
    by_office: dict[str, list[tuple[str, int]]] = {}
    for office_id, service_id, minutes in rows:
        by_office.setdefault(office_id, []).append((service_id, minutes))
    grids = []
    for office_id, services in sorted(by_office.items()):
        lengths = [minutes for _, minutes in services]
        common = max(sorted(set(lengths)), key=lengths.count)
        service = sorted(s for s, minutes in services if minutes == common)[0]
        calendar = OfficeCalendar(office_id, parse_week(hours[office_id]), counters.get(office_id, 1), common)
        grids.append((calendar, service))
    return grids


def seed_bookings(engine: sa.engine.Engine, total: int, today: date, rng: random.Random) -> int:
    """Write `total` bookings and their claims; returns how many lie in the next 4 weeks."""
    future: list[tuple[OfficeCalendar, str, int, datetime]] = []
    past: list[tuple[OfficeCalendar, str, int, datetime]] = []
    holidays = closed_days("NW", today)
    for calendar, service in _grid(engine):
        for offset in range(-7 * PAST_WEEKS, FUTURE_DAYS):
            day = today + timedelta(days=offset)
            if day in holidays:
                continue
            for start in day_starts(calendar, day):
                for counter in range(1, calendar.counters + 1):
                    (future if offset >= 0 else past).append((calendar, service, counter, start))
    rng.shuffle(future)
    rng.shuffle(past)
    chosen = future[: min(int(len(future) * FUTURE_SHARE), total)]
    chosen += past[: total - len(chosen)]
    created = to_db(datetime.now(timezone.utc))
    bookings: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    for number, (calendar, service, counter, start) in enumerate(chosen, start=1):
        email = f"bench{number}@example.de"
        end = start.astimezone(timezone.utc) + timedelta(minutes=calendar.minutes)
        is_future = start.date() >= today
        bookings.append(
            {
                "id": number,
                "service_id": service,
                "office_id": calendar.office_id,
                "counter": counter,
                "start_at": to_db(start),
                "end_at": to_db(end),
                "status": "booked",
                "name": f"Bench Person {number}",
                "email": email,
                "email_key": email_key(email),
                "open_key": sha256_hex(f"bench-open:{number}") if is_future else None,
                "code_hash": DUMMY_HASH,
                "code_nonce": "bench",
                "idempotency_hash": sha256_hex(f"bench-idempotency:{number}"),
                "hold_id": f"bench-{number}",
                "sequence": 0,
                "created_at": created,
                "updated_at": created,
            }
        )
        claims.extend(
            {"office_id": calendar.office_id, "counter": counter, "unit": unit, "booking_id": number}
            for unit in units(start, calendar.minutes)
        )
    with engine.begin() as conn:
        conn.execute(sa.insert(BookingRecord.__table__), bookings)
        for first in range(0, len(claims), 5000):
            conn.execute(sa.insert(SlotClaimRecord.__table__), claims[first : first + 5000])
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('appointment_bookings', 'id'), :n)"), {"n": len(bookings)}
            )
    return sum(1 for _, _, _, start in chosen if start.date() >= today)


def double_bookings(engine: sa.engine.Engine) -> int:
    """Pairs of open bookings that overlap on one counter of one office (must be 0)."""
    a, b = BookingRecord.__table__.alias("a"), BookingRecord.__table__.alias("b")
    query = (
        sa.select(sa.func.count())
        .select_from(a.join(b, sa.and_(a.c.office_id == b.c.office_id, a.c.counter == b.c.counter, a.c.id < b.c.id)))
        .where(
            a.c.status == "booked",
            b.c.status == "booked",
            a.c.start_at < b.c.end_at,
            b.c.start_at < a.c.end_at,
        )
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


# ------------------------------------------------------------------------------------ measuring
def search_latencies(base_url: str, params: list[dict[str, Any]]) -> tuple[float, float]:
    latencies = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for query in params[:20]:  # warm-up
            client.get("/api/appointments/slots", params=query).raise_for_status()
        for query in params:
            started = time.perf_counter()
            client.get("/api/appointments/slots", params=query).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return p50_p95(latencies)


def book_concurrently(
    base_url: str, services: list[str], clients: int, total: int, today: date
) -> tuple[int, int, float]:
    """(bookings made, lost races, seconds) with `clients` threads booking until `total`."""
    lock = threading.Lock()
    state = {"booked": 0, "conflicts": 0}

    def claim_one() -> bool:
        with lock:
            if state["booked"] >= total:
                return False
            state["booked"] += 1
            return True

    def client(number: int) -> None:
        rng = random.Random(number)
        with httpx.Client(base_url=base_url, timeout=60) as http:
            while claim_one():
                if not book_one(http, rng, number):
                    with lock:
                        state["booked"] -= 1

    def book_one(http: httpx.Client, rng: random.Random, number: int) -> bool:
        for _ in range(20):
            first = today + timedelta(days=rng.randrange(FUTURE_DAYS))
            service = rng.choice(services)
            query: dict[str, str | int] = {"service": service, "limit": 3, "from": first.isoformat()}
            offered = http.get("/api/appointments/slots", params=query).json()["slots"]
            while offered:
                slot = rng.choice(offered)
                key = f"bench:{number}:{uuid.uuid4().hex}"
                held = http.post(
                    "/api/appointments/holds",
                    json={
                        "service": query["service"],
                        "office": slot["office"]["id"],
                        "start": slot["start"],
                        "client_key": key,
                    },
                )
                if held.status_code == 409:
                    with lock:
                        state["conflicts"] += 1
                    offered = held.json().get("next_slots") or []
                    continue
                held.raise_for_status()
                confirmed = http.post(
                    f"/api/appointments/holds/{held.json()['id']}/confirm",
                    json={"name": "Bench Kundin", "email": f"{uuid.uuid4().hex[:12]}@example.de"},
                    headers={"Idempotency-Key": key},
                )
                if confirmed.status_code == 201:
                    return True
                if confirmed.status_code != 409:
                    confirmed.raise_for_status()
                with lock:
                    state["conflicts"] += 1
                offered = confirmed.json().get("next_slots") or []
        return False

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client, n) for n in range(clients)]:
            future.result()
    return state["booked"], state["conflicts"], time.perf_counter() - started


def run(kind: str, seeded: int, searches: int, clients: int, bookings: int) -> Result:
    rng = random.Random(14)
    moment = next_monday_morning()
    today = moment.date()
    with tempfile.TemporaryDirectory(prefix="appointments-bench-") as tmp:
        work = Path(tmp)
        with database(kind, work) as url:
            env = {
                "BUERGERBOT_DATA_DIR": str(work / "data"),
                "BUERGERBOT_DATABASE_URL": url,
                "BUERGERBOT_CATALOGUE_DIR": str(bench_catalogue(work / "catalogue")),
                "BUERGERBOT_FIXED_NOW": moment.replace(tzinfo=None).isoformat(),
                "BUERGERBOT_FEDERAL_STATE": "NW",
                "BUERGERBOT_APPOINTMENT_SECRET": secrets.token_urlsafe(32),
                "BUERGERBOT_SMTP_HOST": "",
            }
            stack = Stack(free_ports(), model=Path("unused"), env=env, log_dir=work / "logs")
            stack.start(("backend",))
            engine = make_engine(url)
            try:
                stack.wait_ready(timeout=READY_TIMEOUT_S)
                in_window = seed_bookings(engine, seeded, today, rng)
                logger.info("%s: %d bookings seeded, %d in the next 4 weeks", kind, seeded, in_window)

                def days() -> str:
                    return (today + timedelta(days=rng.randrange(FUTURE_DAYS))).isoformat()

                base = {"service": SEARCH_SERVICE, "limit": 3}
                nearest = search_latencies(stack.backend_url, [{**base, "from": days()} for _ in range(searches)])
                sparse = search_latencies(
                    stack.backend_url,
                    [{**base, "from": today.isoformat(), "weekdays": "3", "after": "16:00"} for _ in range(searches)],
                )
                nothing = search_latencies(stack.backend_url, [{**base, "weekdays": "6"} for _ in range(searches)])
                with engine.connect() as conn:
                    services = sorted(set(conn.scalars(sa.select(OfficeServiceRecord.service_id))))
                booked, conflicts, seconds = book_concurrently(stack.backend_url, services, clients, bookings, today)
                doubles = double_bookings(engine)
            except BaseException:
                log = stack.log_file("backend")
                if log.exists():
                    print("--- backend log (tail) ---", *log.read_text(errors="replace").splitlines()[-30:], sep="\n")
                raise
            finally:
                stack.stop()
                engine.dispose()
    return Result(kind, seeded, nearest, sparse, nothing, clients, booked, seconds, conflicts, doubles)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--seed", type=int, default=10_000, help="existing bookings (default 10,000)")
    parser.add_argument("--searches", type=int, default=300, help="search requests of each kind")
    parser.add_argument("--clients", type=int, default=20, help="concurrent booking clients")
    parser.add_argument("--bookings", type=int, default=400, help="bookings the clients make in total")
    parser.add_argument("--no-record", action="store_true", help="print only, do not append to docs/benchmarks.md")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    if not kinds or set(kinds) - {"sqlite", "postgresql"}:
        parser.error("--databases takes sqlite and/or postgresql")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    failed = False
    for kind in kinds:
        result = run(kind, args.seed, args.searches, args.clients, args.bookings)
        row = row_of(result, now(), machine_description(), commit_id())
        print(HEADER)
        print(row)
        failed = failed or result.double_bookings > 0
        if not args.no_record:
            append_row(SECTION, HEADER, row, intro=INTRO)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
