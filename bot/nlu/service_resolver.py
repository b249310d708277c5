"""Rasa component: which catalogue service a message means, by name and by meaning.

Adds `service_resolution` to every parse result (see `bot.nlu.service_index.Resolution`):
`{"decision": "answer" | "choose" | "none", "candidates": [{"id", "name", "score"}, ...],
"life_event": str | None, "names_topic": bool}` and, on "answer" when no extractor found a
`service`, a `service` entity with the top id (unless an office was named: then the message is about the office).

Not trained: it reads the catalogue files at load time (`BUERGERBOT_CATALOGUE_DIR`) and rebuilds
its index when they change (checked at most every `check_seconds`), so staff can edit the
catalogue without retraining. A rebuild embeds only texts it has not seen before.

It runs after the FallbackClassifier and guards service questions that the intent classifier
filed elsewhere ("Ich bin umgezogen und muss mich ummelden" as goodbye, "mein perso ist
abgelaufen" as case_status, "Ich möchte mein Auto zulassen" as nlu_fallback): when the
resolver finds a service clearly (score >= `guard_score`) and the message has none of the cue
words of that intent (a farewell, a case-status word, a case number), the intent becomes the
best-ranked service intent. Deciding here, in the NLU, keeps the dialogue rules plain and the
conversation tests (`rasa test core`) check it like any intent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.core.catalogue import CatalogueError
from bot.core.text import fold, tokens

from .catalogue_source import CatalogueSource
from .service_index import FloatArray, Resolution, ServiceIndex, Weights

logger = logging.getLogger(__name__)

RESOLUTION_KEY = "service_resolution"
SERVICE_INTENTS = ("service_info", "ask_documents", "ask_fees", "ask_processing_time")
FALLBACK_INTENT = "nlu_fallback"

# Intents that may hide a service question, and the words that confirm the intent after all.
_FAREWELL_WORDS = "tschüss tschüs tschau ciao bye wiedersehen wiederhören adieu servus ende schönen"
_CASE_STATUS_WORDS = """stand status vorgang vorgangs aktenzeichen bearbeitung bearbeitet eingangsbestätigung
    sachstand fertig zugangscode antragsstatus bescheid"""
_GUARDED: dict[str, frozenset[str]] = {
    "goodbye": frozenset(fold(w) for w in _FAREWELL_WORDS.split()),
    "case_status": frozenset(fold(w) for w in _CASE_STATUS_WORDS.split()),
    "out_of_scope": frozenset(),
    FALLBACK_INTENT: frozenset(),
}


class E5Retrieval:
    """e5 sentence embeddings for retrieval: the L2-normalised mean pool of layer `layer`, with
    e5's "query: " / "passage: " prefixes in the texts. Embeddings are cached per text."""

    def __init__(self, layer: int) -> None:
        self.layer = layer
        self._encoder: Any = None
        self._tokenizer: Any = None
        self._cache: dict[str, FloatArray] = {}
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._encoder is None:
            from .e5.encoder import E5Encoder
            from .e5.weights import load_image

            image = load_image()
            tokenize, limit = image.tokenizer, image.dims.positions

            def tokenizer(text: str) -> list[int]:
                # At most as many ids as the position table covers (a long message is cut), keeping EOS.
                ids: list[int] = tokenize(text)
                return ids if len(ids) <= limit else [*ids[: limit - 1], ids[-1]]

            self._encoder, self._tokenizer = E5Encoder(image, split=self.layer, top=self.layer), tokenizer

    def __call__(self, texts: Sequence[str]) -> FloatArray:
        with self._lock:
            self._load()
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
            if len(missing) == 1:
                vector, _ = self._encoder.pools([self._tokenizer(missing[0])])
                self._cache[missing[0]] = np.asarray(vector[0], np.float32)
            elif missing:
                vectors, _ = self._encoder.lower([self._tokenizer(t) for t in missing])
                self._cache.update(zip(missing, np.asarray(vectors, np.float32), strict=True))
            result = np.vstack([self._cache[t] for t in texts])
            for text in texts:  # queries are not worth keeping; passages are
                if text.startswith("query: "):
                    self._cache.pop(text, None)
            return result


def guarded_intent(
    intent: str,
    ranking: Sequence[dict[str, Any]],
    text: str,
    resolution: Resolution,
    guard_score: float,
    has_case_number: bool,
) -> str | None:
    """The service intent to use instead of `intent`, or None to keep it (see module doc)."""
    if intent not in _GUARDED or resolution.decision == "none" or not resolution.candidates:
        return None
    if resolution.candidates[0].score < guard_score:
        return None
    if intent == "case_status" and has_case_number:
        return None
    if set(tokens(text)) & _GUARDED[intent]:
        return None
    return next((r["name"] for r in ranking if r.get("name") in SERVICE_INTENTS), SERVICE_INTENTS[0])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ServiceResolver(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        defaults = Weights()
        return {
            "e5_layer": 12,  # layer whose mean pool is the dense signal (0 = lexical only)
            "check_seconds": 5.0,  # how often to look for changed catalogue files
            "catalogue_dir": None,  # default: BUERGERBOT_CATALOGUE_DIR or data/catalogue
            "guard_score": defaults.answer,  # resolver score that overrides goodbye/case_status/...
            **{f"weight_{f.name}": getattr(defaults, f.name) for f in fields(Weights)},
        }

    def __init__(self, config: dict[str, Any], source: CatalogueSource, embed: E5Retrieval | None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._weights = Weights(**{f.name: float(self._config[f"weight_{f.name}"]) for f in fields(Weights)})
        self._source, self._embed = source, embed
        self._index: ServiceIndex | None = None
        self._rebuilding = threading.Lock()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ServiceResolver:
        merged = {**cls.get_default_config(), **config}
        directory = Path(merged["catalogue_dir"]) if merged["catalogue_dir"] else None
        source = CatalogueSource(directory, check_seconds=float(merged["check_seconds"]))
        embed = E5Retrieval(int(merged["e5_layer"])) if merged["e5_layer"] else None
        component = cls(config, source, embed)
        component.rebuild()
        return component

    # --- the index -------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Read the catalogue and index it; on a broken catalogue keep the previous index."""
        with self._rebuilding:
            try:
                catalogue = self._source.load()
            except CatalogueError as error:
                logger.error(
                    "catalogue in %s has %d problem(s), keeping the previous index: %s",
                    self._source.directory,
                    len(error.problems),
                    "; ".join(error.problems[:5]),
                )
                return
            self._index = ServiceIndex.build(catalogue, self._embed, self._weights)
            logger.info(
                "service index built: %d services, %d life events", len(catalogue.services), len(catalogue.life_events)
            )

    def _current_index(self) -> ServiceIndex | None:
        if self._source.changed():
            self.rebuild()
        return self._index

    # --- prediction ------------------------------------------------------------------------
    def process(self, messages: list[Message]) -> list[Message]:
        index = self._current_index()
        if index is None:
            return messages
        for message in messages:
            self._resolve(message, index)
        return messages

    def _resolve(self, message: Message, index: ServiceIndex) -> None:
        text = message.get(TEXT) or ""
        resolution = index.resolve(text)
        result = resolution.as_dict()
        entities: list[dict[str, Any]] = message.get(ENTITIES) or []
        named = {e.get("entity") for e in entities}
        # An office named ("Wann hat das Standesamt offen?") is about the office, not a service.
        if resolution.decision == "answer" and not named & {"service", "office"}:
            top = resolution.candidates[0]
            entity = {
                "entity": "service",
                "start": 0,
                "end": len(text),
                "value": top.id,
                "confidence_entity": top.score,
            }
            message.set(ENTITIES, entities + self.add_extractor_name([entity]), add_to_output=True)
        intent = message.get(INTENT) or {}
        replacement = guarded_intent(
            intent.get("name") or "",
            message.get(INTENT_RANKING_KEY) or [],
            text,
            resolution,
            float(self._config["guard_score"]),
            has_case_number=any(e.get("entity") == "case_number" for e in entities),
        )
        if replacement is not None:
            logger.debug("intent %s -> %s (service resolver)", intent.get("name"), replacement)
            result["intent_replaced"] = intent.get("name")
            confidence = max(float(intent.get("confidence") or 0.0), min(1.0, resolution.candidates[0].score))
            message.set(INTENT, {"name": replacement, "confidence": confidence}, add_to_output=True)
        message.set(RESOLUTION_KEY, result, add_to_output=True)
