"""The process's cache of e5 token states: keyed by layer and ids, bounded, most recent kept."""

from __future__ import annotations

import numpy as np

from bot.nlu.e5.states_cache import StatesCache, shared_states


def test_entries_are_keyed_by_layer_and_ids() -> None:
    cache = StatesCache(size=4)
    states = np.ones((3, 2), np.float32)
    cache.put(8, [0, 5, 2], states)
    assert cache.get(8, (0, 5, 2)) is states
    assert cache.get(7, [0, 5, 2]) is None and cache.get(8, [0, 5]) is None


def test_the_cache_keeps_only_the_most_recent_entries() -> None:
    cache = StatesCache(size=2)
    for i in range(3):
        cache.put(8, [i], np.zeros((1, 2), np.float32))
    assert cache.get(8, [0]) is None and cache.get(8, [1]) is not None and cache.get(8, [2]) is not None
    cache.put(8, [1], np.zeros((1, 2), np.float32))  # used again: now the newest
    cache.put(8, [3], np.zeros((1, 2), np.float32))
    assert cache.get(8, [2]) is None and cache.get(8, [1]) is not None


def test_one_cache_per_process() -> None:
    assert shared_states() is shared_states()
