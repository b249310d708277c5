"""Reviewing inbox messages: confirm, correct (intent and entities) or discard as unfit for training."""

from __future__ import annotations

import functools
import time
import warnings
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from rasa.shared.core.constants import DEFAULT_INTENTS
from rasa.shared.core.domain import Domain

from . import audit
from .errors import InvalidInput, NotFound
from .inbox import FALLBACK_INTENT, get_message
from .tables import reviews

Decision = Literal["confirm", "correct", "discard"]


def domain_labels(domain_file: Path) -> tuple[list[str], list[str]]:
    """The intents and entities staff may assign: the domain's, as Rasa reads it, without the
    intents Rasa adds to every domain (session_start, nlu_fallback, restart, back; out_of_scope stays,
    our data trains it)."""
    stat = domain_file.stat()
    intents, entities = _domain_labels(domain_file.resolve(), stat.st_mtime_ns, stat.st_size)
    return list(intents), list(entities)


@functools.lru_cache(maxsize=8)
def _domain_labels(domain_file: Path, mtime_ns: int, size: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Cached per file version: every review checks its labels, and Rasa validates the whole domain."""
    with warnings.catch_warnings():
        # Rasa 3 warns on every domain with slots that auto-fill is gone; ours map slots explicitly.
        warnings.filterwarnings("ignore", message="Slot auto-fill has been removed", category=UserWarning)
        domain = Domain.load(domain_file)
    # out_of_scope is one of Rasa's default intents, but ours is trained and may be assigned.
    intents = sorted(set(domain.intents) - (set(DEFAULT_INTENTS) - {"out_of_scope"}))
    return tuple(intents), tuple(sorted(domain.entities))


def review(
    tracker: sa.engine.Engine,
    staff: sa.engine.Engine,
    domain_file: Path,
    *,
    event_id: int,
    decision: Decision,
    actor: str,
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item = get_message(tracker, staff, event_id)
    if item is None:
        raise NotFound("Nachricht", event_id)
    intents, entity_types = domain_labels(domain_file)
    if decision == "discard":
        status, intent, entities = "discarded", None, []
    elif decision == "confirm":
        if item.intent in (None, FALLBACK_INTENT):
            raise InvalidInput(
                "Eine nicht verstandene Nachricht kann nicht bestätigt werden: bitte wählen Sie die richtige Absicht."
            )
        status, intent = "confirmed", item.intent
        if entities is None:  # the predicted entities, as written in the (redacted) text
            entities = [
                {"entity": e["entity"], "value": e["text"]}
                for e in item.entities
                if e["entity"] in entity_types and e["text"] and e["text"] in item.text
            ]
    elif decision == "correct":
        status = "corrected"
    else:
        raise InvalidInput(f"Unbekannte Entscheidung {decision!r}: confirm, correct oder discard.")
    if status != "discarded":
        if intent not in intents:
            raise InvalidInput(f"Unbekannte Absicht {intent!r}.")
        entities = _checked_entities(entities or [], entity_types, item.text)
    values = {
        "sender_id": item.sender_id,
        "text": item.text,
        "predicted_intent": item.intent,
        "status": status,
        "intent": intent,
        "entities": entities,
        "reviewer": actor,
        "reviewed_at": time.time(),
    }
    with staff.begin() as conn:
        updated = conn.execute(reviews.update().where(reviews.c.event_id == event_id).values(**values)).rowcount
        if not updated:
            conn.execute(reviews.insert().values(event_id=event_id, **values))
        audit.record(
            conn,
            actor,
            f"review.{decision}",
            f"message {event_id}",
            {"intent": intent, "predicted": item.intent, "entities": entities},
        )
    return {"id": event_id, "status": status, "intent": intent, "entities": entities}


def _checked_entities(entities: list[dict[str, Any]], known: list[str], text: str) -> list[dict[str, str]]:
    checked = []
    for entity in entities:
        name, value = str(entity.get("entity", "")), str(entity.get("value", ""))
        if name not in known:
            raise InvalidInput(f"Unbekannte Entität {name!r}.")
        if not value or value not in text:
            raise InvalidInput(f"Der Wert {value!r} der Entität {name!r} steht nicht in der Nachricht.")
        checked.append({"entity": name, "value": value})
    return checked


def bulk_confirm(
    tracker: sa.engine.Engine, staff: sa.engine.Engine, domain_file: Path, event_ids: list[int], actor: str
) -> dict[str, list[int]]:
    """Confirm many predictions at once; messages that cannot be confirmed are reported, not fatal."""
    done, skipped = [], []
    for event_id in event_ids:
        try:
            review(tracker, staff, domain_file, event_id=event_id, decision="confirm", actor=actor)
            done.append(event_id)
        except (InvalidInput, NotFound):
            skipped.append(event_id)
    return {"confirmed": done, "skipped": skipped}


def reviewed_examples(staff: sa.engine.Engine) -> list[dict[str, Any]]:
    """Every confirmed or corrected example (redacted), oldest first."""
    with staff.connect() as conn:
        rows = conn.execute(sa.select(reviews).where(reviews.c.status != "discarded").order_by(reviews.c.id))
        return [
            {"event_id": r.event_id, "text": r.text, "intent": r.intent, "entities": r.entities, "reviewer": r.reviewer}
            for r in rows
        ]
