"""e5 token states of recent messages, shared by the components of one process.

The intent classifier runs e5 up to layer 8 for every message; the service resolver needs
layer 12 of the same text. Instead of running layers 0–7 twice, the classifier leaves the
layer-8 states here and the resolver continues from them (`E5Retrieval`), which saves about
two thirds of the resolver's encoder time. Entries are keyed by layer and token ids, so a hit
is exactly the computation the reader would have done. Small and bounded: only the last few
messages are kept, and nothing depends on a hit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

States = NDArray[np.float32]  # (tokens, hidden) of one text


class StatesCache:
    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, tuple[int, ...]], States] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, layer: int, ids: Sequence[int], states: States) -> None:
        key = (layer, tuple(ids))
        with self._lock:
            self._entries[key] = states
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def get(self, layer: int, ids: Sequence[int]) -> States | None:
        with self._lock:
            return self._entries.get((layer, tuple(ids)))


@lru_cache(maxsize=1)
def shared_states() -> StatesCache:
    """The process's cache (created on first use)."""
    return StatesCache()
