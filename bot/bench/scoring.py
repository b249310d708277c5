"""Pure scoring for `make bench`: intents, service finding, out-of-catalogue safety, fallback tuning.

Everything here works on plain parse results (Rasa's `/model/parse` JSON) and labels, so it is
tested without a model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class IntentScores:
    n: int
    accuracy: float
    macro_f1: float


def intent_scores(truth: Sequence[str], predicted: Sequence[str]) -> IntentScores:
    """Accuracy and macro F1 over the true labels' classes (a fallback prediction is simply wrong)."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} labels but {len(predicted)} predictions")
    if not truth:
        raise ValueError("nothing to score")
    pairs = list(zip(truth, predicted, strict=True))
    correct = sum(t == p for t, p in pairs)
    f1s = []
    for label in sorted(set(truth)):
        true_positive = sum(t == p == label for t, p in pairs)
        support = sum(t == label for t in truth)
        predicted_n = sum(p == label for p in predicted)
        precision = true_positive / predicted_n if predicted_n else 0.0
        recall = true_positive / support
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return IntentScores(len(truth), correct / len(truth), sum(f1s) / len(f1s))


def ranking_without_fallback(parse: Mapping[str, Any]) -> list[tuple[str, float]]:
    """The classifier's own ranking, best first, with FallbackClassifier's entry removed."""
    ranking = parse.get("intent_ranking") or [parse.get("intent") or {}]
    pairs = [(str(r.get("name")), float(r.get("confidence") or 0.0)) for r in ranking if r.get("name")]
    return sorted(((n, c) for n, c in pairs if n != FALLBACK_INTENT), key=lambda pair: -pair[1])


def with_fallback(ranking: Sequence[tuple[str, float]], threshold: float, ambiguity_threshold: float) -> str:
    """The intent Rasa's FallbackClassifier leaves: `nlu_fallback` when the top confidence is below
    `threshold` or the first two are closer than `ambiguity_threshold`, else the top intent."""
    if not ranking:
        return FALLBACK_INTENT
    top = ranking[0][1]
    if top < threshold:
        return FALLBACK_INTENT
    if len(ranking) > 1 and top - ranking[1][1] < ambiguity_threshold:
        return FALLBACK_INTENT
    return ranking[0][0]


@dataclass(frozen=True)
class FallbackChoice:
    threshold: float
    ambiguity_threshold: float
    utility: float
    accuracy: float
    fallback_rate: float
    wrong_rate: float


def fallback_outcome(
    truth: Sequence[str], rankings: Sequence[Sequence[tuple[str, float]]], threshold: float, ambiguity: float
) -> FallbackChoice:
    """Answered-right, fell-back and answered-wrong rates for one threshold pair.

    Utility = right - wrong, per message: a right answer gains one, asking back (the two-stage
    fallback) costs nothing, a wrong answer costs as much as a right one gains, since it sends the
    citizen down a wrong path (docs/benchmarks.md)."""
    outcomes = Counter(
        "fallback"
        if (p := with_fallback(r, threshold, ambiguity)) == FALLBACK_INTENT
        else ("right" if p == t else "wrong")
        for t, r in zip(truth, rankings, strict=True)
    )
    n = len(truth)
    return FallbackChoice(
        threshold,
        ambiguity,
        (outcomes["right"] - outcomes["wrong"]) / n,
        outcomes["right"] / n,
        outcomes["fallback"] / n,
        outcomes["wrong"] / n,
    )


THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(2, 15))  # 0.10 … 0.70
AMBIGUITY_GRID = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1)


def tune_fallback(
    truth: Sequence[str],
    rankings: Sequence[Sequence[tuple[str, float]]],
    thresholds: Iterable[float] = THRESHOLD_GRID,
    ambiguities: Iterable[float] = AMBIGUITY_GRID,
) -> FallbackChoice:
    """The grid pair with the highest utility on cross-validation predictions; ties go to the
    lower thresholds (fewer questions asked back)."""
    ambiguity_values = sorted(ambiguities)
    candidates = [fallback_outcome(truth, rankings, t, a) for t in sorted(thresholds) for a in ambiguity_values]
    if not candidates:
        raise ValueError("empty threshold grid")
    return max(candidates, key=lambda c: (round(c.utility, 9), -c.threshold, -c.ambiguity_threshold))


class ServiceOutcome(str, Enum):
    FIRST = "first"  # the right service is the bot's first (or only) candidate
    OFFERED = "offered"  # the right service is among the buttons, not first
    MISSED = "missed"  # not among what the bot answers or offers ("none", wrong services, no resolver)


def resolution_of(parse: Mapping[str, Any]) -> Mapping[str, Any] | None:
    resolution = parse.get("service_resolution")
    return resolution if isinstance(resolution, Mapping) else None


def offered_ids(resolution: Mapping[str, Any] | None) -> list[str]:
    """Service ids the bot answers with or offers, best first: the top candidate for "answer", up to
    three buttons for "choose", nothing for "none" or a missing resolution."""
    if resolution is None:
        return []
    candidates = [str(c.get("id")) for c in resolution.get("candidates") or [] if isinstance(c, Mapping)]
    decision = resolution.get("decision")
    if decision == "answer":
        return candidates[:1]
    if decision == "choose":
        return candidates[:3]
    return []


def service_outcome(gold: Iterable[str], parse: Mapping[str, Any]) -> ServiceOutcome:
    """How the resolver did on a question about one or more catalogue services (`gold`): any of
    them first counts as first (a question may name two services)."""
    wanted = set(gold)
    offered = offered_ids(resolution_of(parse))
    if offered and offered[0] in wanted:
        return ServiceOutcome.FIRST
    if wanted & set(offered):
        return ServiceOutcome.OFFERED
    return ServiceOutcome.MISSED


def confident_wrong(parse: Mapping[str, Any]) -> bool:
    """For a question about a service the catalogue does not have: did the bot answer with one
    ("answer"), i.e. a confident wrong service? Offering buttons or saying "none" is not."""
    resolution = resolution_of(parse)
    return resolution is not None and resolution.get("decision") == "answer"


@dataclass(frozen=True)
class ServiceScores:
    n: int
    first: float
    first_or_offered: float
    out_of_catalogue_n: int
    out_of_catalogue_confident_wrong: int
    resolver_present: bool


def service_scores(
    service_questions: Sequence[tuple[Iterable[str], Mapping[str, Any]]],
    out_of_catalogue: Sequence[Mapping[str, Any]],
) -> ServiceScores:
    outcomes = [service_outcome(gold, parse) for gold, parse in service_questions]
    n = len(outcomes)
    first = sum(o is ServiceOutcome.FIRST for o in outcomes)
    offered = sum(o is ServiceOutcome.OFFERED for o in outcomes)
    present = any(resolution_of(p) is not None for _, p in service_questions) or any(
        resolution_of(p) is not None for p in out_of_catalogue
    )
    return ServiceScores(
        n,
        first / n if n else 0.0,
        (first + offered) / n if n else 0.0,
        len(out_of_catalogue),
        sum(confident_wrong(p) for p in out_of_catalogue),
        present,
    )


def ratio(ours: float, stock: float) -> float:
    """ours / stock; infinity when the stock figure is zero."""
    return ours / stock if stock else float("inf")
