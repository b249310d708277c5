"""Rasa component for the MASSIVE benchmark: the bot's `LinearIntentClassifier` plus a
fine-tuned multilingual-e5-small, ensembled as a product of experts.

On large data (MASSIVE, 11,500 utterances) fine-tuning e5's layers `e5_layer`..11 and a linear
head on the intents, and adding the head's log-probabilities to the SVM's (weighted by
`svm_weight`), adds what the frozen features miss (docs/benchmarks.md, "Fine-tuned e5"). At
the bot's 1,700 examples it does not pay, so the bot's config.yml uses the base class.

The SVM still sees the frozen pool of layer `e5_layer` (and USE), exactly as in the base
class; the fine-tuned layers only feed the head. Their weights and the head are stored in
one numpy file next to the base class's state.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from bot.nlu.calibrated_svm import softmax
from bot.nlu.e5.encoder import E5Encoder
from bot.nlu.e5.weights import E5Image
from bot.nlu.linear_intent import LinearIntentClassifier
from bot.nlu.sentence_embeddings import Embeddings, FloatArray, SentenceEmbedder

from .e5.fine_tune import FineTuneSettings, Head, fine_tune

logger = logging.getLogger(__name__)

_FILE = "e5_fine_tuned.npz"  # the upper layers' weights (arr_0, arr_1, ...) and the head


class FineTunedEmbedder(SentenceEmbedder):
    """The base class's features, from an encoder that also runs layers `e5_layer`..11
    (trainable, or restored with `set_upper`), whose top-layer pool `embed` returns."""

    def __init__(self, e5_layer: int, use: bool) -> None:
        super().__init__(e5_layer, use)
        self._upper: list[NDArray[np.float32]] | None = None

    def _new_encoder(self, image: E5Image) -> E5Encoder:
        return E5Encoder(image, split=self._e5_layer, top=image.dims.layers, upper=self._upper)

    def set_upper(self, weights: list[NDArray[np.float32]]) -> None:
        """Trained weights of the upper layers, for the encoder when it loads."""
        if self._encoder is not None:
            self._encoder.set_upper(weights)
        self._upper = weights


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FineTunedIntentClassifier(LinearIntentClassifier):
    _embedder: FineTunedEmbedder

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **LinearIntentClassifier.get_default_config(),
            "e5_layer": 8,  # the first layer to fine-tune (its pool stays a frozen SVM feature)
            "fine_tune_epochs": 5.0,
            "fine_tune_seed": 0,
            "svm_weight": 1.5,  # ensemble score: log p(e5 head) + svm_weight * log p(SVM)
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(config, model_storage, resource, state)
        if not self._config["e5_layer"] or self._config["fine_tune_epochs"] <= 0:
            raise ValueError(
                "FineTunedIntentClassifier needs e5_layer (the first layer to train) and fine_tune_epochs > 0; "
                "without fine-tuning use bot.nlu.linear_intent.LinearIntentClassifier"
            )
        self._head: Head | None = None

    def _new_embedder(self) -> FineTunedEmbedder:
        return FineTunedEmbedder(self._config["e5_layer"], self._config["use_embeddings"])

    def _training_dense(self, texts: list[str], targets: NDArray[np.int_], n_intents: int) -> FloatArray | None:
        dense, states = self._embedder.fit(texts, keep_states=True)
        assert states is not None
        encoder = self._embedder.encoder
        logger.info("fine-tuning e5 layers %d-%d on %d texts", encoder.split, encoder.top - 1, len(texts))
        settings = FineTuneSettings(epochs=self._config["fine_tune_epochs"], seed=self._config["fine_tune_seed"])
        self._head = fine_tune(encoder, states, targets, n_intents, settings)
        return dense

    def _combine(self, svm: NDArray[np.float64], embeddings: Embeddings) -> NDArray[np.float64]:
        """Product of experts, renormalised."""
        if self._head is None or embeddings.top is None:
            raise RuntimeError("FineTunedIntentClassifier: no fine-tuned head (train or load the model first)")
        log_svm = np.log(np.clip(svm, 1e-9, None))
        return softmax(self._head.log_probabilities(embeddings.top) + self._config["svm_weight"] * log_svm)

    def _persist(self, directory: Path) -> None:
        if self._head is None:
            raise RuntimeError("FineTunedIntentClassifier: nothing fine-tuned to store")
        upper = self._embedder.encoder.upper_weights()
        np.savez(directory / _FILE, *upper, head_weight=self._head.weight, head_bias=self._head.bias)

    def _restore(self, directory: Path) -> None:
        with np.load(directory / _FILE) as arrays:
            upper = [arrays[f"arr_{i}"] for i in range(sum(name.startswith("arr_") for name in arrays.files))]
            self._head = Head(arrays["head_weight"], arrays["head_bias"])
        self._embedder.set_upper(upper)
