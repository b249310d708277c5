"""Rasa component: service and office entities from the gazetteer built out of the training data.

Why not DIET's CRF: on 2 cores the CRF costs about ten times the intent part of DIET, and
catalogue names are a closed list. Why not RegexEntityExtractor: it returns overlapping
matches ("Auto anmelden" would also yield "anmelden") and misses typos and inflections.
The gazetteer learns its surface forms from the lookup tables (canonical ids), the synonyms
and every annotated example, and emits the canonical value.
"""

from __future__ import annotations

import logging
from typing import Any

import rasa.shared.utils.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from .gazetteer import Gazetteer

logger = logging.getLogger(__name__)

_FILE = "gazetteer.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class GazetteerEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"entities": ["service", "office"]}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._gazetteer = gazetteer or Gazetteer({})

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GazetteerEntityExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self._gazetteer = Gazetteer(surfaces_from_training_data(training_data, self._config["entities"]))
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / _FILE, self._gazetteer.to_dict())
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GazetteerEntityExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                surfaces = rasa.shared.utils.io.read_json_file(directory / _FILE)
        except ValueError:
            logger.warning("no trained gazetteer found, extracting no service or office entities")
            surfaces = {}
        return cls(config, model_storage, resource, Gazetteer(surfaces))

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = [
                {
                    "entity": f.entity,
                    "start": f.start,
                    "end": f.end,
                    "value": f.value,
                    "confidence_entity": 1.0 if f.exact else 0.9,
                }
                for f in self._gazetteer.find(message.get(TEXT) or "")
            ]
            message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(entities), add_to_output=True)
        return messages


def surfaces_from_training_data(training_data: TrainingData, entities: list[str]) -> dict[str, dict[str, str]]:
    """entity -> {surface: canonical value} from lookup tables, synonyms and annotations."""
    surfaces: dict[str, dict[str, str]] = {entity: {} for entity in entities}
    canonical_type: dict[str, str] = {}
    for table in training_data.lookup_tables:
        if table["name"] in surfaces:
            for value in table["elements"]:
                surfaces[table["name"]][value] = value
                canonical_type[value] = table["name"]
    for surface, value in training_data.entity_synonyms.items():
        if value in canonical_type:
            surfaces[canonical_type[value]][surface] = value
    for example in training_data.entity_examples:
        text = example.get(TEXT)
        for entity in example.get(ENTITIES, []):
            if entity["entity"] in surfaces:
                surfaces[entity["entity"]][text[entity["start"] : entity["end"]]] = entity["value"]
    return surfaces
