"""Export reviewed examples to the training data (data/nlu/reviewed.yml), deduplicated.

The file is rewritten from the staff database each time, so an example is never exported twice.
The same text with conflicting labels (between reviews, or against the existing training data)
is held back and listed for a decision. Redaction placeholders become fictional values so the
training data reads naturally and holds no personal data.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data import entities_parser
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader, RasaYAMLWriter
from rasa.shared.nlu.training_data.formats.readerwriter import TrainingDataWriter
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from . import audit
from .reviews import reviewed_examples
from .tables import reviews

logger = logging.getLogger(__name__)

FICTIONAL = {
    "[AKTENZEICHEN]": "BA-2025-000123",
    "[CODE]": "X7Y2Z9",
    "[E-MAIL]": "erika.musterfrau@example.org",
    "[TELEFON]": "0123 4567890",
    "[IBAN]": "DE02 1203 0000 0000 2020 51",
    "[DATUM]": "01.01.1990",
    "[ADRESSE]": "Musterstraße 1",
    "[NAME]": "Erika Musterfrau",
}
HEADER = "# Written by `buergerbot export` from reviewed citizen messages: edit in the staff console.\n"


def normalise(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .!?")


def fictionalise(text: str) -> str:
    for placeholder, value in FICTIONAL.items():
        text = text.replace(placeholder, value)
    return text


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file (read by Rasa), entity annotations stripped."""
    stat = path.stat()
    return list(_read_examples(path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _read_examples(path: Path, mtime_ns: int, size: int) -> tuple[tuple[str, str], ...]:
    """Cached per file version: Rasa validates every JSON entity annotation against a schema,
    about a second for the bot's training data, and the console lists conflicts on demand."""
    data = RasaYAMLReader().read(path)
    return tuple((str(message.get(TEXT)), str(message.get_full_intent())) for message in data.intent_examples)


def existing_examples(nlu_dir: Path, exclude: Path) -> dict[str, str]:
    """Normalised text -> intent of the training data (without the export file itself)."""
    return {
        normalise(text): intent
        for path in sorted(nlu_dir.glob("*.yml"))
        if path.resolve() != exclude.resolve()
        for text, intent in read_examples(path)
    }


@dataclass
class ExportResult:
    exported: int = 0
    already_in_training_data: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    path: str = ""


def annotate(text: str, entities: list[dict[str, str]]) -> str:
    """The text with Rasa's entity annotations (`[Reisepass](service)`), written by Rasa: each
    entity at the first occurrence of its (fictionalised) value, longest values first, none
    overlapping another."""
    spans: list[dict[str, Any]] = []
    for entity in sorted(entities, key=lambda e: -len(e["value"])):
        value = fictionalise(entity["value"])
        start = text.find(value)
        if value and start >= 0 and all(start + len(value) <= s["start"] or start >= s["end"] for s in spans):
            spans.append({"start": start, "end": start + len(value), "value": value, "entity": entity["entity"]})
    message = Message.build(text, entities=sorted(spans, key=lambda s: s["start"]))
    return str(TrainingDataWriter.generate_message(message.data))


def plan(examples: list[dict[str, Any]], existing: dict[str, str]) -> tuple[dict[str, list[str]], ExportResult]:
    """Pure part of the export: intent -> example lines, plus counts and conflicts."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for example in examples:
        groups[normalise(example["text"])].append(example)
    result = ExportResult()
    by_intent: dict[str, list[str]] = defaultdict(list)
    for key, group in groups.items():
        intents = sorted({e["intent"] for e in group})
        known = existing.get(key)
        if len(intents) > 1 or (known and known != intents[0]):
            result.conflicts.append(
                {
                    "text": group[-1]["text"],
                    "key": key,
                    "training_data": known,
                    "reviews": [
                        {"intent": e["intent"], "reviewer": e["reviewer"], "event_id": e["event_id"]} for e in group
                    ],
                }
            )
            continue
        if known:
            result.already_in_training_data += 1
            continue
        latest = group[-1]
        by_intent[intents[0]].append(annotate(fictionalise(latest["text"]), latest["entities"]))
        result.exported += 1
    return by_intent, result


def render(by_intent: dict[str, list[str]]) -> str:
    """The export file: intents and their (annotated) examples sorted, written by Rasa's YAML writer."""
    messages = [
        Message.build(
            entities_parser.replace_entities(line),
            intent,
            entities_parser.find_entities_in_training_example(line),
        )
        for intent, lines in sorted(by_intent.items())
        for line in sorted(lines)
    ]
    return HEADER + str(RasaYAMLWriter().dumps(TrainingData(messages)))


def export(staff: sa.engine.Engine, nlu_dir: Path, target: Path, actor: str) -> ExportResult:
    by_intent, result = plan(reviewed_examples(staff), existing_examples(nlu_dir, exclude=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    if by_intent:
        target.write_text(render(by_intent), encoding="utf-8")
    elif target.exists():
        target.unlink()  # nothing reviewed (any more): no empty file for Rasa to trip over
    result.path = str(target)
    with staff.begin() as conn:
        audit.record(
            conn,
            actor,
            "export",
            str(target.name),
            {
                "exported": result.exported,
                "conflicts": len(result.conflicts),
                "already_in_training_data": result.already_in_training_data,
            },
        )
    logger.info("exported %d reviewed examples (%d conflicts)", result.exported, len(result.conflicts))
    return result


def resolve_conflict(staff: sa.engine.Engine, key: str, intent: str | None, actor: str) -> int:
    """Decide a conflict: every review of this text gets `intent`, or is discarded when None."""
    with staff.begin() as conn:
        rows = [r for r in conn.execute(sa.select(reviews.c.id, reviews.c.text)) if normalise(r.text) == key]
        values = (
            {"status": "discarded", "intent": None} if intent is None else {"status": "corrected", "intent": intent}
        )
        for row in rows:
            conn.execute(
                reviews.update().where(reviews.c.id == row.id).values(reviewer=actor, reviewed_at=time.time(), **values)
            )
        audit.record(conn, actor, "conflict.resolve", key[:200], {"intent": intent, "reviews": len(rows)})
    return len(rows)
