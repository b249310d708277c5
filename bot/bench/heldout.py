"""The final held-out file tests/nlu/heldout.yml as the benchmark reads it.

Each question keeps its intent, the catalogue ids of the services it names (`service` entities)
and whether it asks for a service the catalogue does not have (intent-block metadata
`out_of_catalogue: true`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.infra.paths import REPO_ROOT

FINAL_HELDOUT_FILE = REPO_ROOT / "tests" / "nlu" / "heldout.yml"
OUT_OF_CATALOGUE = "out_of_catalogue"


@dataclass(frozen=True)
class HeldOutQuestion:
    text: str
    intent: str
    services: tuple[str, ...] = ()
    out_of_catalogue: bool = False


def question_of(message: Any) -> HeldOutQuestion:
    """A Rasa training `Message` as a held-out question."""
    metadata = message.get("metadata") or {}
    intent_metadata = metadata.get("intent") if isinstance(metadata, dict) else None
    flagged = bool(isinstance(intent_metadata, dict) and intent_metadata.get(OUT_OF_CATALOGUE))
    services = tuple(
        str(e["value"]) for e in message.get("entities") or [] if e.get("entity") == "service" and e.get("value")
    )
    return HeldOutQuestion(message.get("text"), message.get("intent"), services, flagged)


def load_heldout(path: Path = FINAL_HELDOUT_FILE) -> list[HeldOutQuestion]:
    from rasa.shared.nlu.training_data.loading import load_data

    return [question_of(m) for m in load_data(str(path)).intent_examples]
