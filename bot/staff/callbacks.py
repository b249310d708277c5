"""Callback requests citizens leave when nobody can chat: stored with a reference number, then
assigned and marked done by staff, each step in the audit log. The form being filled in is kept
as a draft per sender, so a restart of the gateway loses no answer."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

import sqlalchemy as sa

from . import audit
from .accounts import StaffUser
from .errors import Conflict, InvalidInput, NotFound
from .inbox import channel_of
from .tables import callback_drafts, callback_requests, staff_users

logger = logging.getLogger(__name__)

Status = Literal["open", "assigned", "done"]
STATUSES: tuple[Status, ...] = ("open", "assigned", "done")
# No 0/O, 1/I/L: a reference read out on the phone is not misheard.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    """ "RR-" and 8 unambiguous characters in two groups, e.g. RR-7KQ4-MX2D."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"RR-{chars[:4]}-{chars[4:]}"


@dataclass(frozen=True)
class CallbackRequest:
    id: int
    reference: str
    channel: str
    team: str
    name: str
    contact_kind: str
    contact: str
    topic: str
    preferred_time: str
    status: str
    assignee: str | None
    created_at: float
    done_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def draft(engine: sa.engine.Engine, sender_id: str) -> tuple[str, dict[str, Any]] | None:
    """(team, form as stored) of the callback form `sender_id` is filling in, or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(callback_drafts).where(callback_drafts.c.sender_id == sender_id)).first()
    return (row.team, dict(row.form)) if row else None


def save_draft(engine: sa.engine.Engine, sender_id: str, team: str, form: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(callback_drafts.delete().where(callback_drafts.c.sender_id == sender_id))
        conn.execute(callback_drafts.insert().values(sender_id=sender_id, team=team, form=form, updated_at=time.time()))


def drop_draft(engine: sa.engine.Engine, sender_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(callback_drafts.delete().where(callback_drafts.c.sender_id == sender_id))


def submit(
    engine: sa.engine.Engine,
    sender_id: str,
    team: str,
    *,
    name: str,
    contact_kind: str,
    contact: str,
    topic: str,
    preferred_time: str,
) -> str:
    """Store a completed request (and drop the draft) in one transaction; returns the reference."""
    for _attempt in range(5):
        reference = new_reference()
        try:
            with engine.begin() as conn:
                conn.execute(
                    callback_requests.insert().values(
                        reference=reference,
                        sender_id=sender_id,
                        channel=channel_of(sender_id),
                        team=team,
                        name=name,
                        contact_kind=contact_kind,
                        contact=contact,
                        topic=topic,
                        preferred_time=preferred_time,
                        status="open",
                        created_at=time.time(),
                    )
                )
                conn.execute(callback_drafts.delete().where(callback_drafts.c.sender_id == sender_id))
        except sa.exc.IntegrityError:  # a reference already taken: draw again
            continue
        logger.info("callback request %s stored for team %s", reference, team)
        return reference
    raise Conflict("Die Rückrufbitte konnte nicht gespeichert werden. Bitte versuchen Sie es noch einmal.")


def _request(row: Any) -> CallbackRequest:
    return CallbackRequest(
        id=row.id,
        reference=row.reference,
        channel=row.channel,
        team=row.team,
        name=row.name,
        contact_kind=row.contact_kind,
        contact=row.contact,
        topic=row.topic,
        preferred_time=row.preferred_time,
        status=row.status,
        assignee=row.assignee,
        created_at=row.created_at,
        done_at=row.done_at,
    )


def _select() -> sa.sql.Select:
    return sa.select(*callback_requests.c, staff_users.c.name.label("assignee")).select_from(
        callback_requests.outerjoin(staff_users, callback_requests.c.assignee_id == staff_users.c.id)
    )


def listing(engine: sa.engine.Engine, status: str | None = None, limit: int = 200) -> list[CallbackRequest]:
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"Unbekannter Status {status!r}: erlaubt sind {', '.join(STATUSES)}.")
    query = _select().order_by(callback_requests.c.created_at).limit(limit)
    if status:
        query = query.where(callback_requests.c.status == status)
    with engine.connect() as conn:
        return [_request(r) for r in conn.execute(query)]


def get(engine: sa.engine.Engine, request_id: int) -> CallbackRequest:
    with engine.connect() as conn:
        row = conn.execute(_select().where(callback_requests.c.id == request_id)).first()
    if row is None:
        raise NotFound("Die Rückrufbitte", request_id)
    return _request(row)


def assign(engine: sa.engine.Engine, request_id: int, user: StaffUser) -> CallbackRequest:
    with engine.begin() as conn:
        changed = conn.execute(
            callback_requests.update()
            .where(callback_requests.c.id == request_id, callback_requests.c.status != "done")
            .values(status="assigned", assignee_id=user.id)
        ).rowcount
        if changed:
            audit.record(conn, user.name, "callback.assign", f"callback:{request_id}")
    if not changed:
        get(engine, request_id)  # NotFound for an unknown id
        raise Conflict("Diese Rückrufbitte ist bereits erledigt.")
    return get(engine, request_id)


def done(engine: sa.engine.Engine, request_id: int, user: StaffUser) -> CallbackRequest:
    with engine.begin() as conn:
        changed = conn.execute(
            callback_requests.update()
            .where(callback_requests.c.id == request_id, callback_requests.c.status != "done")
            .values(
                status="done",
                done_at=time.time(),
                assignee_id=sa.func.coalesce(callback_requests.c.assignee_id, user.id),
            )
        ).rowcount
        if changed:
            audit.record(conn, user.name, "callback.done", f"callback:{request_id}")
    if not changed:
        get(engine, request_id)
        raise Conflict("Diese Rückrufbitte ist bereits erledigt.")
    return get(engine, request_id)
