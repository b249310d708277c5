"""Hybrid retrieval over the service catalogue: which services a citizen's message means.

Pure scoring, no Rasa: `ServiceIndex.build(catalogue, embed)` indexes every text a citizen may
use for a service (name, synonyms, keywords, description) and every life-event phrase;
`index.resolve(text)` returns a `Resolution` (answer / choose / none, up to three candidates).

Two signals, as public-sector service finders combine them:
- lexical: idf-weighted character n-grams of folded words (typos, inflection, compounds):
  how much of a catalogue phrase appears in the message ("containment"), best phrase per service;
- dense: e5 sentence embeddings (e5's "passage: " prefix for catalogue texts), the cosine to
  the best passage, minus the median over all services (removes the per-message baseline).
They are summed with weights (`Weights`), chosen by cross-validation on tests/nlu/resolver_dev.yml.
Life events ("Umzug", "Geburt") lead to their services; an event with several services yields a
choice unless the message also names one of them clearly.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from bot.core.catalogue import Catalogue
from bot.core.text import fold, tokens

FloatArray = NDArray[np.float32]


class Embed(Protocol):
    """L2-normalised sentence embeddings for retrieval (e5's passage/query roles)."""

    def passages(self, texts: Sequence[str]) -> FloatArray: ...  # one row per text

    def query(self, text: str) -> FloatArray: ...  # one vector


Decision = Literal["answer", "choose", "none"]

# Words that say what the citizen asks (or are plain function words), not which service: they
# neither count as evidence for a service nor make a message name a topic of its own.
_FUNCTION_WORD_TEXT = """
    a ab aber alle alles als also am an auch auf aus bei beim bin bis bitte brauch brauche brauchen
    bekomme bekommen da dafür damit dann das dass dem den denn der des die dies diese dieser doch dort du
    ein eine einem einen einer eines er es etwas euch für gibt habe haben hallo hat hätte ich ihr im in
    ist ja jetzt kann kannst kostet kosten kostenlos können könnte man mein meine meinem meinen meiner mich
    mir mit muss müssen möchte nach nicht noch nun nur ob oder sie sind so soll sollte und uns unser
    von vor war was weil welche welcher welches wenn wer werden wie wieder will wir wo woher wohin zu zum zur
    guten tag moin servus hi danke gerne schon mal einfach genau eigentlich bzw usw
    frage fragen info infos information informationen wissen erfahren machen mache gemacht tun erledigen
    lange dauer dauert dauern unterlagen dokumente mitbringen gebühr gebühren preis teuer termin
    antrag beantragen beantrage stellen online hier heute morgen wann
"""
_FUNCTION_WORDS = frozenset(fold(w) for w in _FUNCTION_WORD_TEXT.split())

_CHAR_NGRAMS = (3, 4, 5)


def content_tokens(text: str) -> list[str]:
    """Folded words that may name a topic: no function or question words, no digits."""
    return [t for t in tokens(text) if t not in _FUNCTION_WORDS and not t.isdigit() and len(t) > 1]


def _ngrams(words: Sequence[str]) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        for n in _CHAR_NGRAMS:
            grams.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return grams


@dataclass(frozen=True)
class Weights:
    """How the signals combine and when the index answers; tuned on the dev set (see module doc)."""

    # `python -m bot.bench.tune_resolver`: 5-fold CV over tests/nlu/resolver_dev.yml (331 questions,
    # 45 about services the catalogue lacks; 153 services, e5 layer 12) over a grid, objective and
    # figures in docs/benchmarks.md; these values score best on all of it (2026-12-04).
    lexical: float = 1.0
    dense: float = 0.12  # per z-score unit of the e5 cosine
    coverage: float = 2.1  # bonus for the share of the message a service's names explain
    description: float = 0.4  # a description match counts less than a name or synonym match
    event: float = 1.0  # a life-event phrase match, relative to a service phrase match
    event_order: float = 0.1  # bonus for an event's first (most common) services when offering them
    answer: float = 3.0  # top score needed to answer
    margin: float = 0.15  # ... and its lead over the runner-up
    choose: float = 1.8  # below this nothing fits: "none"
    gap: float = 0.5  # candidates offered: within this distance of the top


class Signals(NamedTuple):
    containment: FloatArray  # per phrase
    coverage: FloatArray  # per service
    dense: FloatArray | None  # per phrase


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str
    score: float


@dataclass(frozen=True)
class Resolution:
    decision: Decision
    candidates: tuple[Candidate, ...] = ()
    life_event: str | None = None
    names_topic: bool = True  # False: the message names nothing (a follow-up like "Und was kostet das?")

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "candidates": [{"id": c.id, "name": c.name, "score": round(c.score, 4)} for c in self.candidates],
            "life_event": self.life_event,
            "names_topic": self.names_topic,
        }


NONE = Resolution("none", names_topic=False)


KIND_NAME, KIND_DESCRIPTION, KIND_EVENT = 0, 1, 2  # name/synonym/keyword, description, life-event phrase


@dataclass
class _Phrases:
    """Catalogue phrases with the row (service or event) each belongs to and their kind."""

    texts: list[str] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    kinds: list[int] = field(default_factory=list)  # see KIND_*

    def add(self, text: str, owner: int, kind: int) -> None:
        self.texts.append(text)
        self.owners.append(owner)
        self.kinds.append(kind)


class _Lexical:
    """idf-weighted character n-gram containment: how much of each phrase the message contains."""

    def __init__(self, phrases: Sequence[str]) -> None:
        grams = [_ngrams(content_tokens(p) or tokens(p)) for p in phrases]
        df: Counter[str] = Counter()
        for g in grams:
            df.update(g.keys())
        total = len(phrases) + 1
        idf = {gram: math.log(total / (1 + count)) + 1.0 for gram, count in df.items()}
        self._vocab = {gram: i for i, gram in enumerate(idf)}
        rows = [row for row, g in enumerate(grams) for _ in g]
        cols = [self._vocab[gram] for g in grams for gram in g]
        values = [idf[gram] for g in grams for gram in g]
        shape = (len(phrases), len(self._vocab))
        self.matrix = sp.csr_matrix((np.asarray(values, np.float32), (rows, cols)), shape=shape)
        self._mass = np.maximum(np.asarray(self.matrix.sum(axis=1)).ravel(), 1e-6)
        self._idf_vector = np.array(list(idf.values()), np.float32)
        self._idf = idf
        self._default_idf = math.log(total) + 1.0  # an n-gram no phrase has

    def present(self, text: str) -> tuple[FloatArray, float]:
        """The message's n-grams as a 0/1 vector over the vocabulary, and their total idf weight
        (n-grams no phrase has count too: they are what no service explains)."""
        present = np.zeros(len(self._vocab), np.float32)
        mass = 0.0
        for gram in _ngrams(content_tokens(text)):
            index = self._vocab.get(gram)
            mass += self._idf.get(gram, self._default_idf)
            if index is not None:
                present[index] = 1.0
        return present, mass

    def containment(self, present: FloatArray) -> FloatArray:
        """Per phrase, the share of its n-gram weight found in the message (0..1)."""
        result: FloatArray = np.asarray(self.matrix @ present, np.float32) / self._mass
        return result

    def coverage(self, present: FloatArray, mass: float, groups: Any) -> FloatArray:
        """Per group of phrases (a sparse 0/1 matrix groups x vocabulary), the share of the
        message's n-gram weight that the group's phrases contain (0..1)."""
        idf_present = present * self._idf_vector
        result: FloatArray = np.asarray(groups @ idf_present, np.float32) / max(mass, 1e-6)
        return result


def _group_max(values: FloatArray, owners: NDArray[np.int_], size: int) -> FloatArray:
    out = np.full(size, -np.inf, np.float32)
    np.maximum.at(out, owners, values)
    out[np.isinf(out)] = 0.0
    return out


class ServiceIndex:
    def __init__(
        self,
        catalogue: Catalogue,
        embed: Embed | None,
        weights: Weights,
        service_phrases: _Phrases,
        event_phrases: _Phrases,
    ) -> None:
        self.catalogue, self.weights, self._embed = catalogue, weights, embed
        self._services = catalogue.services
        self._events = catalogue.life_events
        all_texts = service_phrases.texts + event_phrases.texts
        self._lexical = _Lexical(all_texts)
        self._split = len(service_phrases.texts)
        self._owners = np.array(service_phrases.owners, np.int_)
        self._event_owners = np.array(event_phrases.owners, np.int_)
        self._kinds = np.array(service_phrases.kinds + event_phrases.kinds, np.int_)
        # Per service, the n-grams of its names, synonyms and keywords (for the message's coverage).
        named = sp.diags((self._kinds[: self._split] == KIND_NAME).astype(np.float32))
        grams = (named @ self._lexical.matrix[: self._split]).tocoo()
        owners = sp.csr_matrix(
            (np.ones(self._split, np.float32), (self._owners, np.arange(self._split))),
            shape=(len(self._services), self._split),
        )
        grams.data[:] = 1.0
        self._service_grams = (owners @ grams.tocsr()).minimum(1.0).tocsr()
        self._passages: FloatArray | None = None
        if embed is not None and all_texts:
            self._passages = embed.passages(all_texts)
        position = {s.id: i for i, s in enumerate(self._services)}
        self._event_services = [[position[s] for s in event.services if s in position] for event in self._events]

    @classmethod
    def build(cls, catalogue: Catalogue, embed: Embed | None = None, weights: Weights | None = None) -> ServiceIndex:
        services, events = _Phrases(), _Phrases()
        for row, service in enumerate(catalogue.services):
            for text in (service.name, *service.synonyms, *service.keywords):
                services.add(text, row, KIND_NAME)
            services.add(service.description, row, KIND_DESCRIPTION)
        for row, event in enumerate(catalogue.life_events):
            for text in (event.name, *event.phrases):
                events.add(text, row, KIND_EVENT)
        return cls(catalogue, embed, weights or Weights(), services, events)

    # --- scoring ---------------------------------------------------------------------------
    def signals(self, text: str) -> Signals:
        """Per catalogue phrase (service phrases first, then event phrases) the lexical
        containment and the e5 cosine as a z-score over all phrases (None without e5); per service the share
        of the message its names, synonyms and keywords explain."""
        present, mass = self._lexical.present(text)
        containment = self._lexical.containment(present)
        coverage = self._lexical.coverage(present, mass, self._service_grams)
        if self._passages is None or self._embed is None:
            return Signals(containment, coverage, None)
        cosine = self._passages @ self._embed.query(text)
        spread = max(float(np.std(cosine)), 1e-6)
        return Signals(containment, coverage, ((cosine - float(np.median(cosine))) / spread).astype(np.float32))

    def combine(self, signals: Signals) -> tuple[FloatArray, FloatArray]:
        """(score per service, score per life event)."""
        w = self.weights
        score = w.lexical * signals.containment
        if signals.dense is not None:
            score = score + w.dense * signals.dense
        score = score * np.array([1.0, w.description, w.event], np.float32)[self._kinds]
        services = _group_max(score[: self._split], self._owners, len(self._services))
        services = services + w.coverage * signals.coverage
        events = _group_max(score[self._split :], self._event_owners, len(self._events))
        return services, events

    def scores(self, text: str) -> tuple[FloatArray, FloatArray]:
        return self.combine(self.signals(text))

    # --- decision --------------------------------------------------------------------------
    def resolve(self, text: str, named: Sequence[str] = ()) -> Resolution:
        """The services `text` means; `named`: service ids an extractor found by name in it."""
        if not content_tokens(text) or not self._services:
            return NONE
        return self.decide(*self.scores(text), named=named)

    def decide(self, direct: FloatArray, events: FloatArray, named: Sequence[str] = ()) -> Resolution:
        """answer / choose / none from the service and life-event scores. `named`: services an
        extractor found by name; a choice led by one of them becomes its answer (the citizen wrote
        its name). A score bonus for them was tried and chosen 0 by every CV run."""
        resolution = self._decide(direct, events)
        if resolution.decision == "choose" and resolution.candidates[0].id in named:
            return Resolution("answer", resolution.candidates[:1], resolution.life_event)
        return resolution

    def _decide(self, direct: FloatArray, events: FloatArray) -> Resolution:
        w = self.weights
        combined = direct.copy()
        event = int(np.argmax(events)) if len(events) else -1
        event_services = self._event_services[event] if event >= 0 else []
        if event_services:
            combined[event_services] = np.maximum(combined[event_services], events[event])
        order = [int(i) for i in np.argsort(-combined, kind="stable")]
        top = float(combined[order[0]])
        if top < w.choose:
            return Resolution("none")
        led_by_event = bool(event_services) and float(events[event]) >= top - 1e-6
        life_event = self._events[event].id if event_services and float(events[event]) >= w.choose else None
        if led_by_event and len(event_services) > 1:
            # The situation led here: answer only if the message also names one of its services.
            mentioned = sorted(event_services, key=lambda i: -direct[i])
            lead = float(direct[mentioned[0]]) - max((float(direct[i]) for i in mentioned[1:]), default=0.0)
            if direct[mentioned[0]] >= w.answer and lead >= w.margin:
                return Resolution("answer", self._candidates(mentioned[:1], combined), life_event)
            prior = {i: w.event_order / (1 + rank) for rank, i in enumerate(event_services)}
            offered = sorted(event_services, key=lambda i: -(direct[i] + prior[i]))
            return Resolution("choose", self._candidates(offered[:3], combined), life_event)
        second = float(combined[order[1]]) if len(order) > 1 else 0.0
        if top >= w.answer and top - second >= w.margin:
            return Resolution("answer", self._candidates(order[:1], combined), life_event)
        close = [i for i in order[:3] if combined[i] >= max(top - w.gap, w.choose)]
        return Resolution("choose", self._candidates(close if len(close) > 1 else order[:2], combined), life_event)

    def _candidates(self, positions: Sequence[int], scores: FloatArray) -> tuple[Candidate, ...]:
        return tuple(Candidate(self._services[i].id, self._services[i].name, float(scores[i])) for i in positions[:3])
