"""The NLU inbox: citizens' messages from Rasa's tracker store, redacted, with review and rating.

Staff never see a message's original text or the raw sender id: texts and entity values are
redacted, conversations are shown under a short pseudonym.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from .redaction import redact
from .tables import ratings, reviews

FALLBACK_INTENT = "nlu_fallback"
CHANNELS = ("web", "telegram", "api")
_BATCH = 500
# Rasa's SQLTrackerStore table (only the columns read here).
tracker_events = sa.table(
    "events",
    sa.column("id"),
    sa.column("sender_id"),
    sa.column("type_name"),
    sa.column("timestamp"),
    sa.column("intent_name"),
    sa.column("data"),
)
_MESSAGE_COLUMNS = (tracker_events.c.id, tracker_events.c.sender_id, tracker_events.c.timestamp, tracker_events.c.data)


@dataclass
class InboxFilter:
    low_confidence: bool = False
    fallback: bool = False
    intent: str | None = None
    channel: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    rated_down: bool = False
    reviewed: bool | None = None
    q: str | None = None


@dataclass
class InboxItem:
    id: int  # the tracker store's event id
    at: float
    channel: str
    conversation: str  # pseudonym of the sender
    text: str  # redacted
    intent: str | None
    confidence: float
    entities: list[dict[str, Any]]
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    rating: int | None = None
    review: dict[str, Any] | None = None
    # Internal; never sent to the console.
    sender_id: str = field(default="", repr=False)
    ref: str | None = field(default=None, repr=False)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        del data["sender_id"], data["ref"]
        return data


def channel_of(sender_id: str) -> str:
    prefix = sender_id.split(":", 1)[0]
    return prefix if prefix in CHANNELS else "other"


def pseudonym(sender_id: str) -> str:
    return hashlib.sha256(sender_id.encode()).hexdigest()[:8]


def parse_event(event_id: int, sender_id: str, timestamp: float, data: str | dict[str, Any]) -> InboxItem | None:
    """A tracker store `user` event as an inbox item; None for button payloads (`/intent`)."""
    event = json.loads(data) if isinstance(data, str) else data
    text = event.get("text") or ""
    if not text or text.startswith("/"):
        return None
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != intent.get("name")]
    return InboxItem(
        id=event_id,
        at=timestamp,
        channel=channel_of(sender_id),
        conversation=pseudonym(sender_id),
        text=redact(text),
        intent=intent.get("name"),
        confidence=round(float(intent.get("confidence") or 0.0), 4),
        entities=[
            {"entity": e.get("entity"), "value": redact(str(e.get("value", ""))), "text": redact(_surface(text, e))}
            for e in parse.get("entities") or []
        ],
        alternatives=[
            {"name": r.get("name"), "confidence": round(float(r.get("confidence") or 0), 4)} for r in ranking[:3]
        ],
        sender_id=sender_id,
        ref=(event.get("metadata") or {}).get("ref"),
    )


def _surface(text: str, entity: dict[str, Any]) -> str:
    """The words as the citizen wrote them (the value may be canonical: "buergeramt")."""
    start, end = entity.get("start"), entity.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return text[start:end]
    return str(entity.get("value", ""))


def matches(item: InboxItem, flt: InboxFilter, low_confidence: float) -> bool:
    """The filters that need the parsed event, the review or the rating."""
    if flt.low_confidence and item.confidence >= low_confidence:
        return False
    if flt.fallback and item.intent != FALLBACK_INTENT:
        return False
    if flt.rated_down and item.rating != -1:
        return False
    if flt.reviewed is not None and (item.review is not None) != flt.reviewed:
        return False
    return not flt.q or flt.q.casefold() in item.text.casefold()


# What redaction puts into texts: a search that could match inside them is not narrowed in SQL.
_PLACEHOLDERS = ("[iban]", "[e-mail]", "[aktenzeichen]", "[code]", "[datum]", "[telefon]", "[adresse]", "[name]")
_LIKE_ESCAPE = "!"


def like_pattern(q: str) -> str | None:
    """A LIKE pattern for the tracker store's stored event (JSON text, lower-cased in SQL) that
    every event whose redacted text contains `q` (case-insensitively) matches; None when no
    such narrowing is safe (the search may hit a placeholder such as "[NAME]").

    Characters are escaped as JSON stores them; non-ASCII characters (stored as \\uXXXX, cased
    differently by databases) and "ss" (what "ß" folds to) become wildcards."""
    folded = q.casefold()
    if not folded or "[" in folded or "]" in folded or any(folded in p for p in _PLACEHOLDERS):
        return None
    parts: list[str] = []
    for char in folded.replace("ss", "\0"):
        if char == "\0" or not char.isascii():
            piece = "%"
        else:
            piece = json.dumps(char)[1:-1]
            for special in (_LIKE_ESCAPE, "%", "_"):
                piece = piece.replace(special, _LIKE_ESCAPE + special)
        if not (piece == "%" and parts and parts[-1] == "%"):
            parts.append(piece)
    return "%" + "".join(parts) + "%"


def _day_start(day: date, zone: str) -> float:
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(zone)).timestamp()


def _query(flt: InboxFilter, before: int | None, zone: str) -> sa.sql.Select:
    query = (
        sa.select(*_MESSAGE_COLUMNS).where(tracker_events.c.type_name == "user").order_by(tracker_events.c.id.desc())
    )
    if before is not None:
        query = query.where(tracker_events.c.id < before)
    if flt.intent:
        query = query.where(tracker_events.c.intent_name == flt.intent)
    elif flt.fallback:
        query = query.where(tracker_events.c.intent_name == FALLBACK_INTENT)
    if flt.channel:
        query = query.where(tracker_events.c.sender_id.like(f"{flt.channel}:%"))
    if flt.date_from:
        query = query.where(tracker_events.c.timestamp >= _day_start(flt.date_from, zone))
    if flt.date_to:
        query = query.where(tracker_events.c.timestamp < _day_start(flt.date_to + timedelta(days=1), zone))
    if flt.q and (pattern := like_pattern(flt.q)) is not None:
        # Narrowed in SQL; `matches` still decides on the redacted text, so results stay the same.
        query = query.where(sa.func.lower(tracker_events.c.data).like(pattern, escape=_LIKE_ESCAPE))
    return query


def _attach(staff: sa.engine.Engine, items: list[InboxItem]) -> None:
    if not items:
        return
    with staff.connect() as conn:
        found = {
            r.event_id: r for r in conn.execute(sa.select(reviews).where(reviews.c.event_id.in_([i.id for i in items])))
        }
        senders = {i.sender_id for i in items}
        rated = {
            (r.sender_id, r.ref): r.value
            for r in conn.execute(sa.select(ratings).where(ratings.c.sender_id.in_(senders)))
        }
    for item in items:
        review = found.get(item.id)
        if review is not None:
            item.review = {
                "status": review.status,
                "intent": review.intent,
                "entities": review.entities,
                "reviewer": review.reviewer,
                "at": review.reviewed_at,
            }
        if item.ref:
            item.rating = rated.get((item.sender_id, item.ref))


def list_messages(
    tracker: sa.engine.Engine,
    staff: sa.engine.Engine,
    flt: InboxFilter,
    *,
    limit: int = 50,
    before: int | None = None,
    low_confidence: float = 0.6,
    zone: str = "Europe/Berlin",
    max_scanned: int = 20_000,
) -> tuple[list[InboxItem], int | None]:
    """One page of matching messages, newest first, and the cursor for the next page (or None)."""
    page: list[InboxItem] = []
    scanned = 0
    cursor = before
    if not sa.inspect(tracker).has_table("events"):
        return [], None
    while len(page) < limit and scanned < max_scanned:
        with tracker.connect() as conn:
            rows = conn.execute(_query(flt, cursor, zone).limit(_BATCH)).all()
        if not rows:
            return page, None
        scanned += len(rows)
        batch = [
            item for row in rows if (item := parse_event(row.id, row.sender_id, row.timestamp, row.data)) is not None
        ]
        _attach(staff, batch)
        for item in batch:
            if matches(item, flt, low_confidence):
                page.append(item)
                if len(page) == limit:
                    return page, item.id
        cursor = rows[-1].id
    return page, cursor


def get_message(tracker: sa.engine.Engine, staff: sa.engine.Engine, event_id: int) -> InboxItem | None:
    if not sa.inspect(tracker).has_table("events"):  # Rasa has not stored a conversation yet
        return None
    with tracker.connect() as conn:
        row = conn.execute(
            sa.select(*_MESSAGE_COLUMNS).where(tracker_events.c.id == event_id, tracker_events.c.type_name == "user")
        ).first()
    item = parse_event(row.id, row.sender_id, row.timestamp, row.data) if row else None
    if item:
        _attach(staff, [item])
    return item
