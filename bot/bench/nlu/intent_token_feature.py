"""Rasa component: the message's intent as a token feature for the CRF entity extractor.

Slot types depend on the intent ("sieben uhr" is a `time` in alarm_set, a `date`-less
`time` in calendar_set, ...). Rasa's CRFEntityExtractor has no intent feature, but it reads
each token's `pattern` dict (normally filled by RegexFeaturizer) when `pattern` is among its
features. This component adds `intent_<name>: True` there: the gold intent while training,
the predicted one at inference, so it must come after the intent classifier and before the
CRF. In the MASSIVE prototype the intent feature added 1.4 points of slot F1
(docs/benchmarks.md).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

PATTERN = "pattern"  # the token attribute CRFEntityExtractor reads for its `pattern` feature


def intent_name(message: Message) -> str | None:
    intent = message.get(INTENT)
    return intent.get(INTENT_NAME_KEY) if isinstance(intent, dict) else intent


def mark_tokens(message: Message) -> None:
    name = intent_name(message)
    if not name:
        return
    for token in message.get(TOKENS_NAMES[TEXT]) or []:
        patterns = {key: value for key, value in (token.get(PATTERN) or {}).items() if not key.startswith("intent_")}
        token.set(PATTERN, {**patterns, f"intent_{name}": True})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class IntentTokenFeature(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentTokenFeature:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            mark_tokens(message)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            mark_tokens(message)
        return messages
