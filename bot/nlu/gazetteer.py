"""Gazetteer: finds catalogue names (services, offices) in free text, tolerating typos and inflection.

Pure logic, no Rasa: the Rasa component in gazetteer_extractor.py wraps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from bot.core.text import fold

_WORD = re.compile(r"\w+")
# German inflection endings tried on the last word: "Reisepasses", "Ausweises", "Ämtern".
_ENDINGS = ("es", "s", "en", "n", "e", "er", "ern")
_FUZZY_MIN_LEN = 6  # shorter words are too easily confused ("pass" vs "passt")
_FUZZY_MIN_RATIO = 0.86  # about one typo in six to seven letters
# Bounds that keep `find` linear in the message length: the fuzzy pass looks at the first
# _MAX_FUZZY_TOKENS words only (exact matches are found everywhere) and compares each phrase
# with at most _MAX_CANDIDATES surfaces of a similar length.
_MAX_FUZZY_TOKENS = 200
_MAX_CANDIDATES = 64
_MAX_WORD_CHARS = 64  # longer "words" are never catalogue names


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    entity: str
    value: str
    text: str
    exact: bool


class Gazetteer:
    def __init__(self, surfaces: dict[str, dict[str, str]]) -> None:
        """`surfaces`: entity type -> {surface form: canonical value}."""
        self._index: dict[tuple[str, ...], tuple[str, str]] = {}
        for entity, forms in surfaces.items():
            for surface, value in forms.items():
                key = tuple(fold(w) for w in _WORD.findall(surface))
                if key:
                    self._index.setdefault(key, (entity, value))
        self._max_words = max((len(k) for k in self._index), default=0)
        # Fuzzy candidates by (number of words, length of the joined phrase).
        self._fuzzy: dict[tuple[int, int], list[tuple[str, tuple[str, ...]]]] = {}
        for key in self._index:
            if len("".join(key)) >= _FUZZY_MIN_LEN:
                joined = " ".join(key)
                self._fuzzy.setdefault((len(key), len(joined)), []).append((joined, key))
        self.work = 0  # phrases looked up and fuzzy comparisons made by the last `find` (tests)

    def to_dict(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for key, (entity, value) in self._index.items():
            out.setdefault(entity, {})[" ".join(key)] = value
        return out

    def _lookup(self, words: tuple[str, ...], fuzzy: bool) -> tuple[tuple[str, str], bool] | None:
        self.work += 1
        hit = self._index.get(words)
        if hit:
            return hit, True
        last = words[-1]
        for ending in _ENDINGS:
            if last.endswith(ending) and len(last) - len(ending) >= 4:
                hit = self._index.get((*words[:-1], last[: -len(ending)]))
                if hit:
                    return hit, True
        return self._fuzzy_lookup(words) if fuzzy else None

    def _fuzzy_lookup(self, words: tuple[str, ...]) -> tuple[tuple[str, str], bool] | None:
        joined = " ".join(words)
        if len(joined.replace(" ", "")) < _FUZZY_MIN_LEN:
            return None
        best, best_ratio = None, _FUZZY_MIN_RATIO
        for surface, key in self._candidates(len(words), len(joined)):
            self.work += 1
            matcher = SequenceMatcher(None, joined, surface)
            if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio >= best_ratio:
                best, best_ratio = key, ratio
        return (self._index[best], False) if best else None

    def _candidates(self, words: int, length: int) -> list[tuple[str, tuple[str, ...]]]:
        """Surfaces of as many words whose length allows the minimum ratio (2·min/(a+b)), the
        closest lengths first, at most _MAX_CANDIDATES."""
        found: list[tuple[str, tuple[str, ...]]] = []
        for delta in range(int(2 * length * (1 - _FUZZY_MIN_RATIO) / _FUZZY_MIN_RATIO) + 1):
            for other in {length - delta, length + delta}:
                found.extend(self._fuzzy.get((words, other), ()))
            if len(found) >= _MAX_CANDIDATES:
                return found[:_MAX_CANDIDATES]
        return found

    def find(self, text: str) -> list[Found]:
        """Longest, leftmost, non-overlapping matches."""
        self.work = 0
        spans = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
        found: list[Found] = []
        i = 0
        while i < len(spans):
            for n in range(min(self._max_words, len(spans) - i), 0, -1):
                words = tuple(s[2] for s in spans[i : i + n])
                if any(len(word) > _MAX_WORD_CHARS for word in words):
                    continue
                result = self._lookup(words, fuzzy=i < _MAX_FUZZY_TOKENS)
                if result:
                    (entity, value), exact = result
                    start, end = spans[i][0], spans[i + n - 1][1]
                    found.append(Found(start, end, entity, value, text[start:end], exact))
                    i += n
                    break
            else:
                i += 1
        return found
