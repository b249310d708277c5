"""Dashboard figures from the tracker store and the staff database."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from .inbox import CHANNELS, FALLBACK_INTENT, channel_of, tracker_events
from .tables import callback_requests, handoffs, ratings


def _day(timestamp: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(timestamp, zone).strftime("%Y-%m-%d")


def summarise(
    rows: list[tuple[str, float, str | None, float]],
    rating_rows: list[tuple[float, int]],
    low_confidence: float,
    zone: str = "Europe/Berlin",
) -> dict[str, Any]:
    """rows: (sender_id, timestamp, intent, confidence) of citizens' typed messages."""
    tz = ZoneInfo(zone)
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    intents: Counter[str] = Counter()
    fallback = low = 0
    for sender_id, timestamp, intent, confidence in rows:
        per_day[_day(timestamp, tz)][channel_of(sender_id)] += 1
        intents[intent or "?"] += 1
        fallback += intent == FALLBACK_INTENT
        low += confidence < low_confidence
    rated: dict[str, Counter[str]] = defaultdict(Counter)
    for timestamp, value in rating_rows:
        rated[_day(timestamp, tz)]["up" if value > 0 else "down"] += 1
    total = len(rows)
    return {
        "total": total,
        "messages_per_day": [
            {"day": day, **{c: per_day[day][c] for c in (*CHANNELS, "other")}} for day in sorted(per_day)
        ],
        "top_intents": [{"intent": name, "count": count} for name, count in intents.most_common(10)],
        "fallback_rate": round(fallback / total, 4) if total else 0.0,
        "low_confidence_rate": round(low / total, 4) if total else 0.0,
        "ratings": {
            "up": sum(c["up"] for c in rated.values()),
            "down": sum(c["down"] for c in rated.values()),
            "per_day": [{"day": day, "up": rated[day]["up"], "down": rated[day]["down"]} for day in sorted(rated)],
        },
    }


def message_rows(tracker: sa.engine.Engine, since: float) -> list[tuple[str, float, str | None, float]]:
    """(sender_id, timestamp, intent, confidence) of citizens' typed messages since `since`: the one
    pass over the tracker store that every dashboard panel is computed from."""
    rows: list[tuple[str, float, str | None, float]] = []
    if not sa.inspect(tracker).has_table("events"):
        return rows
    with tracker.connect() as conn:
        events = tracker_events.c
        for row in conn.execute(
            sa.select(events.sender_id, events.timestamp, events.data).where(
                events.type_name == "user", events.timestamp >= since
            )
        ):
            event = json.loads(row.data)
            if (event.get("text") or "").startswith("/"):
                continue  # button presses are not understood, they are chosen
            intent = (event.get("parse_data") or {}).get("intent") or {}
            rows.append((row.sender_id, row.timestamp, intent.get("name"), float(intent.get("confidence") or 0)))
    return rows


def rating_rows(staff: sa.engine.Engine, since: float) -> list[tuple[float, int]]:
    with staff.connect() as conn:
        return [
            (r.at, r.value) for r in conn.execute(sa.select(ratings.c.at, ratings.c.value).where(ratings.c.at >= since))
        ]


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def summarise_handoffs(
    rows: list[tuple[float, float | None, float | None, str]], callbacks: int, zone: str = "Europe/Berlin"
) -> dict[str, Any]:
    """rows: (created_at, assigned_at, ended_at, state) of handoffs. Waiting is created → first
    taken; handling is taken → ended; abandoned ones left the queue before anyone took them."""
    tz = ZoneInfo(zone)
    per_day: Counter[str] = Counter(_day(created, tz) for created, _a, _e, _s in rows)
    waits = [assigned - created for created, assigned, _e, _s in rows if assigned is not None]
    handling = [ended - assigned for _c, assigned, ended, _s in rows if assigned is not None and ended is not None]
    return {
        "total": len(rows),
        "per_day": [{"day": day, "count": per_day[day]} for day in sorted(per_day)],
        "wait_median_seconds": round(_percentile(waits, 0.5)) if waits else None,
        "wait_p90_seconds": round(_percentile(waits, 0.9)) if waits else None,
        "abandoned": sum(state == "abandoned" for *_times, state in rows),
        "callbacks": callbacks,
        "handling_median_seconds": round(_percentile(handling, 0.5)) if handling else None,
    }


def handoff_rows(
    staff: sa.engine.Engine, since: float
) -> tuple[list[tuple[float, float | None, float | None, str]], int]:
    with staff.connect() as conn:
        rows = [
            (r.created_at, r.assigned_at, r.ended_at, r.state)
            for r in conn.execute(
                sa.select(handoffs.c.created_at, handoffs.c.assigned_at, handoffs.c.ended_at, handoffs.c.state).where(
                    handoffs.c.created_at >= since
                )
            )
        ]
        callbacks = conn.execute(
            sa.select(sa.func.count()).select_from(callback_requests).where(callback_requests.c.created_at >= since)
        ).scalar()
    return rows, int(callbacks or 0)


def dashboard(
    tracker: sa.engine.Engine, staff: sa.engine.Engine, days: int, low_confidence: float, zone: str = "Europe/Berlin"
) -> dict[str, Any]:
    since = time.time() - days * 86_400
    summary = summarise(message_rows(tracker, since), rating_rows(staff, since), low_confidence, zone)
    return {"days": days, **summary, "handoffs": summarise_handoffs(*handoff_rows(staff, since), zone=zone)}


class DashboardCache:
    """One computation per console view. The view asks for the figures (`fresh=True`) and then,
    right after, for its three charts of the same period: these reuse the figures instead of
    scanning the tracker store again. Concurrent requests for the same figures wait for the one
    computation under way."""

    def __init__(self, max_age_seconds: float = 60.0) -> None:
        self.max_age_seconds = max_age_seconds
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, float, str], tuple[float, dict[str, Any]]] = {}

    def get(
        self,
        tracker: sa.engine.Engine,
        staff: sa.engine.Engine,
        days: int,
        low_confidence: float,
        zone: str = "Europe/Berlin",
        *,
        fresh: bool = False,
    ) -> dict[str, Any]:
        key = (days, low_confidence, zone)
        with self._lock:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if now - v[0] <= self.max_age_seconds}
            cached = self._entries.get(key)
            if cached is not None and not fresh:
                return cached[1]
            data = dashboard(tracker, staff, days, low_confidence, zone)
            self._entries[key] = (time.monotonic(), data)
            return data
