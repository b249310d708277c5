"""Handoffs in the staff database: the queue, who holds which conversation, and every message.

Blocking SQLAlchemy Core calls (the gateway runs them in worker threads). The database decides
races: a sender has at most one active handoff (unique `active_sender`), and taking a queued
conversation is one conditional UPDATE, so of two agents taking it at once exactly one wins.
Messages are stored before anyone acknowledges or pushes them; their id is the `seq` channels see.
"""

from __future__ import annotations

import logging
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

from . import audit
from .accounts import StaffUser
from .errors import Conflict, InvalidInput, NotFound
from .inbox import channel_of
from .redaction import redact
from .tables import handoff_messages, handoffs, staff_users

logger = logging.getLogger(__name__)

ACTIVE = ("queued", "assigned")
ENDED = ("returned", "closed", "abandoned")
AuthorKind = Literal["citizen", "agent", "system"]
MAX_TEXT_CHARS = 4000
DEFAULT_HANDLING_SECONDS = 300.0  # the wait estimate before any handoff of the team has ended
HANDLING_SAMPLE = 20  # recent handoffs whose handling time makes the estimate


class AlreadyTaken(Conflict):
    def __init__(self, handoff_id: int) -> None:
        super().__init__("Dieses Gespräch hat bereits jemand anderes übernommen.")
        self.handoff_id = handoff_id


class NotActive(Conflict):
    def __init__(self, handoff_id: int) -> None:
        super().__init__("Dieses Gespräch ist bereits beendet.")
        self.handoff_id = handoff_id


class NotYours(Conflict):
    def __init__(self, handoff_id: int) -> None:
        super().__init__("Dieses Gespräch führt gerade eine andere Person.")
        self.handoff_id = handoff_id


@dataclass(frozen=True)
class Handoff:
    id: int
    sender_id: str
    channel: str
    team: str
    reason: str
    state: str
    agent_id: int | None
    agent: str | None
    created_at: float
    queued_at: float
    assigned_at: float | None
    ended_at: float | None
    callback_offered: bool

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


@dataclass(frozen=True)
class Line:
    seq: int
    handoff_id: int
    sender_id: str
    author_kind: str
    author: str
    text: str
    at: float
    buttons: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = [*handoffs.c, staff_users.c.name.label("agent")]


def _select() -> sa.sql.Select:
    return sa.select(*_COLUMNS).select_from(handoffs.outerjoin(staff_users, handoffs.c.agent_id == staff_users.c.id))


def _handoff(row: Any) -> Handoff:
    return Handoff(
        id=row.id,
        sender_id=row.sender_id,
        channel=row.channel,
        team=row.team,
        reason=row.reason,
        state=row.state,
        agent_id=row.agent_id,
        agent=row.agent,
        created_at=row.created_at,
        queued_at=row.queued_at,
        assigned_at=row.assigned_at,
        ended_at=row.ended_at,
        callback_offered=bool(row.callback_offered),
    )


def _line(row: Any) -> Line:
    return Line(row.id, row.handoff_id, row.sender_id, row.author_kind, row.author, row.text, row.at, row.buttons or [])


def get(engine: sa.engine.Engine, handoff_id: int) -> Handoff:
    with engine.connect() as conn:
        row = conn.execute(_select().where(handoffs.c.id == handoff_id)).first()
    if row is None:
        raise NotFound("Das Gespräch", handoff_id)
    return _handoff(row)


def active_for(engine: sa.engine.Engine, sender_id: str) -> Handoff | None:
    with engine.connect() as conn:
        row = conn.execute(_select().where(handoffs.c.active_sender == sender_id)).first()
    return _handoff(row) if row else None


def open_handoff(engine: sa.engine.Engine, sender_id: str, team: str, reason: str, now: float | None = None) -> Handoff:
    """Queue a conversation for `team`; a sender already in a handoff keeps the one they have."""
    now = time.time() if now is None else now
    values = dict(
        sender_id=sender_id,
        active_sender=sender_id,
        channel=channel_of(sender_id),
        team=team,
        reason=reason[:64],
        state="queued",
        created_at=now,
        queued_at=now,
        callback_offered=False,
        synced=False,
    )
    try:
        with engine.begin() as conn:
            new_id = conn.execute(handoffs.insert().values(**values)).inserted_primary_key[0]
    except sa.exc.IntegrityError:
        existing = active_for(engine, sender_id)
        if existing is None:  # ended in between: try once more
            return open_handoff(engine, sender_id, team, reason, now)
        return existing
    logger.info("handoff %s queued for team %s (%s)", new_id, team, reason)
    return get(engine, new_id)


def add_message(
    engine: sa.engine.Engine,
    handoff_id: int,
    author_kind: AuthorKind,
    text: str,
    *,
    author: str = "",
    buttons: list[dict[str, str]] | None = None,
    client_id: str | None = None,
    now: float | None = None,
) -> Line:
    """Store one message; a repeated `client_id` of the same author kind returns the stored one."""
    text = text.strip()
    if not text:
        raise InvalidInput("Bitte schreiben Sie eine Nachricht.")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"Die Nachricht ist zu lang (höchstens {MAX_TEXT_CHARS} Zeichen).")
    handoff = get(engine, handoff_id)
    at = time.time() if now is None else now
    author = author[:128]
    stored_buttons = buttons or []
    values: dict[str, Any] = dict(
        handoff_id=handoff_id,
        sender_id=handoff.sender_id,
        author_kind=author_kind,
        author=author,
        text=text,
        buttons=stored_buttons,
        client_id=client_id[:64] if client_id else None,
        at=at,
        delivered=False,
    )
    try:
        with engine.begin() as conn:
            seq = conn.execute(handoff_messages.insert().values(**values)).inserted_primary_key[0]
    except sa.exc.IntegrityError:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(handoff_messages).where(
                    handoff_messages.c.handoff_id == handoff_id,
                    handoff_messages.c.author_kind == author_kind,
                    handoff_messages.c.client_id == values["client_id"],
                )
            ).one()
        return _line(row)
    return Line(
        seq, handoff_id, handoff.sender_id, author_kind, values["author"], text, values["at"], values["buttons"]
    )


def take(engine: sa.engine.Engine, handoff_id: int, agent: StaffUser, now: float | None = None) -> Handoff:
    """`agent` takes a queued conversation; raises `AlreadyTaken` when someone was faster."""
    now = time.time() if now is None else now
    with engine.begin() as conn:
        taken = conn.execute(
            handoffs.update()
            .where(handoffs.c.id == handoff_id, handoffs.c.state == "queued")
            .values(
                state="assigned",
                agent_id=agent.id,
                assigned_at=sa.func.coalesce(handoffs.c.assigned_at, now),
            )
        ).rowcount
        if taken:
            audit.record(conn, agent.name, "handoff.take", f"handoff:{handoff_id}")
    if not taken:
        current = get(engine, handoff_id)
        if current.active:
            raise AlreadyTaken(handoff_id)
        raise NotActive(handoff_id)
    return get(engine, handoff_id)


def check_holder(handoff: Handoff, agent: StaffUser) -> None:
    """Raises unless `agent` holds this active conversation (admins may act on any)."""
    if not handoff.active:
        raise NotActive(handoff.id)
    if handoff.state != "assigned" or (handoff.agent_id != agent.id and not agent.is_admin):
        raise NotYours(handoff.id)


def _held(engine: sa.engine.Engine, handoff_id: int, agent: StaffUser) -> Handoff:
    handoff = get(engine, handoff_id)
    check_holder(handoff, agent)
    return handoff


def requeue(
    engine: sa.engine.Engine,
    handoff_id: int,
    *,
    team: str | None = None,
    actor: str = "system",
    now: float | None = None,
) -> Handoff:
    """Back into the queue (of `team` when transferred), at the end of it."""
    now = time.time() if now is None else now
    with engine.begin() as conn:
        values: dict[str, Any] = dict(state="queued", agent_id=None, queued_at=now, callback_offered=False)
        if team:
            values["team"] = team
        changed = conn.execute(
            handoffs.update().where(handoffs.c.id == handoff_id, handoffs.c.state.in_(ACTIVE)).values(**values)
        ).rowcount
        if changed:
            action = "handoff.transfer" if team else "handoff.requeue"
            audit.record(conn, actor, action, f"handoff:{handoff_id}", {"team": team} if team else None)
    if not changed:
        raise NotActive(handoff_id)
    return get(engine, handoff_id)


def transfer(engine: sa.engine.Engine, handoff_id: int, agent: StaffUser, team: str) -> Handoff:
    _held(engine, handoff_id, agent)
    return requeue(engine, handoff_id, team=team, actor=agent.name)


def end(
    engine: sa.engine.Engine,
    handoff_id: int,
    state: Literal["returned", "closed", "abandoned"],
    *,
    agent: StaffUser | None = None,
    now: float | None = None,
) -> Handoff:
    """End a handoff: handed back to the bot, closed by the agent, or left by the citizen."""
    if agent is not None:
        _held(engine, handoff_id, agent)
    now = time.time() if now is None else now
    with engine.begin() as conn:
        changed = conn.execute(
            handoffs.update()
            .where(handoffs.c.id == handoff_id, handoffs.c.state.in_(ACTIVE))
            .values(state=state, active_sender=None, ended_at=now)
        ).rowcount
        if changed:
            audit.record(conn, agent.name if agent else "citizen", f"handoff.{state}", f"handoff:{handoff_id}")
    if not changed:
        raise NotActive(handoff_id)
    return get(engine, handoff_id)


def mark_callback_offered(engine: sa.engine.Engine, handoff_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(handoffs.update().where(handoffs.c.id == handoff_id).values(callback_offered=True))


def rate(engine: sa.engine.Engine, sender_id: str, value: int) -> bool:
    """The citizen's rating of their last closed handoff; False when there is none to rate."""
    if value not in (1, -1):
        raise InvalidInput("Bewertungen sind 1 oder -1.")
    with engine.begin() as conn:
        last = conn.execute(
            sa.select(handoffs.c.id)
            .where(handoffs.c.sender_id == sender_id, handoffs.c.state == "closed", handoffs.c.rating.is_(None))
            .order_by(handoffs.c.id.desc())
            .limit(1)
        ).scalar()
        if last is None:
            return False
        conn.execute(handoffs.update().where(handoffs.c.id == last).values(rating=value))
    return True


def active(engine: sa.engine.Engine) -> list[Handoff]:
    """Every queued and assigned handoff, queued ones in queue order."""
    with engine.connect() as conn:
        rows = conn.execute(_select().where(handoffs.c.state.in_(ACTIVE)).order_by(handoffs.c.queued_at, handoffs.c.id))
        return [_handoff(r) for r in rows]


def queue_position(queue: list[Handoff], handoff_id: int) -> int | None:
    """1-based position among the queued handoffs of the same team (from `active()`), or None."""
    target = next((h for h in queue if h.id == handoff_id), None)
    if target is None or target.state != "queued":
        return None
    same_team = [h for h in queue if h.state == "queued" and h.team == target.team]
    return same_team.index(target) + 1


def handling_seconds(engine: sa.engine.Engine, team: str, sample: int = HANDLING_SAMPLE) -> float:
    """Median time from being taken to ending, of the team's last `sample` handled conversations."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(handoffs.c.assigned_at, handoffs.c.ended_at)
            .where(
                handoffs.c.team == team,
                handoffs.c.state.in_(("returned", "closed")),
                handoffs.c.assigned_at.is_not(None),
            )
            .order_by(handoffs.c.ended_at.desc())
            .limit(sample)
        ).all()
    durations = [r.ended_at - r.assigned_at for r in rows if r.ended_at and r.ended_at >= r.assigned_at]
    return statistics.median(durations) if durations else DEFAULT_HANDLING_SECONDS


def estimated_wait_minutes(position: int, handling: float, agents_online: int) -> int:
    """Minutes until a person answers: the conversations ahead, shared by the agents online."""
    ahead = max(position - 1, 0) + 0.5  # the ones ahead plus, on average, half of a running one
    return max(1, round(ahead * handling / max(agents_online, 1) / 60))


def messages(engine: sa.engine.Engine, handoff_id: int) -> list[Line]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(handoff_messages)
            .where(handoff_messages.c.handoff_id == handoff_id)
            .order_by(handoff_messages.c.id)
        )
        return [_line(r) for r in rows]


def recent_citizen_messages(engine: sa.engine.Engine, handoff_ids: list[int], limit: int) -> dict[int, list[str]]:
    """The last `limit` citizen texts of each handoff, oldest first, in one query."""
    if not handoff_ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(handoff_messages.c.handoff_id, handoff_messages.c.text)
            .where(handoff_messages.c.handoff_id.in_(handoff_ids), handoff_messages.c.author_kind == "citizen")
            .order_by(handoff_messages.c.id)
        ).all()
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.handoff_id, []).append(row.text)
    return {handoff_id: texts[-limit:] for handoff_id, texts in found.items()}


def pushes_after(engine: sa.engine.Engine, sender_id: str, since: int, limit: int = 200) -> list[Line]:
    """What a citizen may have missed: agent and system messages to them after `since`."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(handoff_messages)
            .where(
                handoff_messages.c.sender_id == sender_id,
                handoff_messages.c.id > since,
                handoff_messages.c.author_kind != "citizen",
            )
            .order_by(handoff_messages.c.id)
            .limit(limit)
        )
        return [_line(r) for r in rows]


def last_seq(engine: sa.engine.Engine, sender_id: str) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            sa.select(sa.func.max(handoff_messages.c.id)).where(handoff_messages.c.sender_id == sender_id)
        ).scalar()
    return int(value or 0)


def undelivered(engine: sa.engine.Engine, channel_prefix: str, limit: int = 100) -> list[Line]:
    """Agent and system messages to a channel that confirms delivery (Telegram) not yet delivered."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(handoff_messages)
            .where(
                handoff_messages.c.delivered.is_(False),
                handoff_messages.c.author_kind != "citizen",
                handoff_messages.c.sender_id.like(channel_prefix + "%"),
            )
            .order_by(handoff_messages.c.id)
            .limit(limit)
        )
        return [_line(r) for r in rows]


def mark_delivered(engine: sa.engine.Engine, seqs: list[int]) -> None:
    if seqs:
        with engine.begin() as conn:
            conn.execute(handoff_messages.update().where(handoff_messages.c.id.in_(seqs)).values(delivered=True))


def unsynced(engine: sa.engine.Engine) -> list[Handoff]:
    """Ended handoffs whose messages are not yet in the tracker store."""
    with engine.connect() as conn:
        rows = conn.execute(
            _select().where(handoffs.c.state.in_(ENDED), handoffs.c.synced.is_(False)).order_by(handoffs.c.id)
        )
        return [_handoff(r) for r in rows]


def mark_synced(engine: sa.engine.Engine, handoff_id: int) -> None:
    """The messages are in the tracker store now (with its redaction and retention): the copies
    here keep only redacted text."""
    with engine.begin() as conn:
        conn.execute(handoffs.update().where(handoffs.c.id == handoff_id).values(synced=True))
        rows = conn.execute(
            sa.select(handoff_messages.c.id, handoff_messages.c.text).where(handoff_messages.c.handoff_id == handoff_id)
        ).all()
        for row in rows:
            conn.execute(handoff_messages.update().where(handoff_messages.c.id == row.id).values(text=redact(row.text)))


def tracker_events(lines: list[Line]) -> list[dict[str, Any]]:
    """A handoff's messages as Rasa tracker events: the citizen's as `user` events (after an
    `action_listen`, as Rasa records them), the rest as `bot` events; `metadata.author` says who."""
    events: list[dict[str, Any]] = []
    for line in lines:
        metadata = {"author": line.author_kind, "author_name": line.author, "handoff": line.handoff_id}
        if line.author_kind == "citizen":
            events.append({"event": "action", "name": "action_listen", "timestamp": line.at})
            # Rasa 3.6 refuses a user event without parse_data (HTTP 500); no intent: nobody parsed it.
            parse_data = {"intent": {}, "entities": [], "text": line.text}
            events.append(
                {
                    "event": "user",
                    "text": line.text,
                    "timestamp": line.at,
                    "metadata": metadata,
                    "parse_data": parse_data,
                }
            )
        else:
            events.append({"event": "bot", "text": line.text, "timestamp": line.at, "metadata": metadata})
    if lines:
        events.append({"event": "action", "name": "action_listen", "timestamp": lines[-1].at})
    return events
