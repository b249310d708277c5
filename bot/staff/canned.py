"""Canned answers agents insert into a live-chat reply; admins manage them."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from . import audit
from .accounts import StaffUser
from .errors import InvalidInput, NotFound
from .tables import canned_answers

MAX_TITLE_CHARS = 100
MAX_TEXT_CHARS = 2000


def listing(engine: sa.engine.Engine, team: str | None = None) -> list[dict[str, Any]]:
    """All canned answers, or those for `team` plus those for every team."""
    query = sa.select(canned_answers).order_by(canned_answers.c.title)
    if team:
        query = query.where(sa.or_(canned_answers.c.team.is_(None), canned_answers.c.team == team))
    with engine.connect() as conn:
        return [{"id": r.id, "team": r.team, "title": r.title, "text": r.text} for r in conn.execute(query)]


def add(engine: sa.engine.Engine, user: StaffUser, title: str, text: str, team: str | None = None) -> dict[str, Any]:
    title, text = title.strip(), text.strip()
    if not title or len(title) > MAX_TITLE_CHARS:
        raise InvalidInput(f"Bitte geben Sie einen Titel mit höchstens {MAX_TITLE_CHARS} Zeichen an.")
    if not text or len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"Bitte geben Sie einen Text mit höchstens {MAX_TEXT_CHARS} Zeichen an.")
    with engine.begin() as conn:
        new_id = conn.execute(
            canned_answers.insert().values(
                team=team or None, title=title, text=text, created_by=user.name, created_at=time.time()
            )
        ).inserted_primary_key[0]
        audit.record(conn, user.name, "canned.add", f"canned:{new_id}", {"title": title})
    return {"id": new_id, "team": team or None, "title": title, "text": text}


def delete(engine: sa.engine.Engine, user: StaffUser, answer_id: int) -> None:
    with engine.begin() as conn:
        if not conn.execute(canned_answers.delete().where(canned_answers.c.id == answer_id)).rowcount:
            raise NotFound("Die Textvorlage", answer_id)
        audit.record(conn, user.name, "canned.delete", f"canned:{answer_id}")
