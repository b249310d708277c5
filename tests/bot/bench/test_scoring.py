"""Scoring of `make bench` on plain parse results."""

from __future__ import annotations

import pytest

from bot.bench.scoring import (
    FALLBACK_INTENT,
    ServiceOutcome,
    confident_wrong,
    fallback_outcome,
    intent_scores,
    offered_ids,
    ranking_without_fallback,
    ratio,
    service_outcome,
    service_scores,
    tune_fallback,
    with_fallback,
)


def resolution(decision: str, *ids: str) -> dict[str, object]:
    candidates = [{"id": i, "name": i.title(), "score": 1.0 - n / 10} for n, i in enumerate(ids)]
    return {"service_resolution": {"decision": decision, "candidates": candidates, "life_event": None}}


def test_intent_scores_count_a_fallback_as_wrong_and_average_f1_over_true_classes():
    scores = intent_scores(["a", "a", "b", "b"], ["a", FALLBACK_INTENT, "b", "a"])
    assert scores.accuracy == 0.5
    # a: precision 1/2, recall 1/2 -> 0.5; b: precision 1, recall 1/2 -> 2/3
    assert scores.macro_f1 == pytest.approx((0.5 + 2 / 3) / 2)
    with pytest.raises(ValueError):
        intent_scores(["a"], [])


def test_the_fallback_rule_is_replayed_on_the_ranking_without_its_own_entry():
    parse = {
        "intent": {"name": FALLBACK_INTENT, "confidence": 0.3},
        "intent_ranking": [
            {"name": FALLBACK_INTENT, "confidence": 0.3},
            {"name": "ask_fees", "confidence": 0.25},
            {"name": "ask_documents", "confidence": 0.2},
        ],
    }
    ranking = ranking_without_fallback(parse)
    assert ranking == [("ask_fees", 0.25), ("ask_documents", 0.2)]
    assert with_fallback(ranking, 0.3, 0.0) == FALLBACK_INTENT
    assert with_fallback(ranking, 0.2, 0.0) == "ask_fees"
    assert with_fallback(ranking, 0.2, 0.1) == FALLBACK_INTENT  # 0.05 apart: ambiguous
    assert with_fallback([], 0.0, 0.0) == FALLBACK_INTENT


def test_tuning_maximises_right_minus_wrong_and_prefers_lower_thresholds_on_ties():
    truth = ["a", "b", "c", "d"]
    rankings = [
        [("a", 0.9), ("b", 0.05)],  # right and sure
        [("b", 0.6), ("a", 0.3)],  # right
        [("a", 0.35), ("c", 0.3)],  # wrong, unsure: worth a fallback
        [("d", 0.5), ("a", 0.45)],  # right but close
    ]
    best = tune_fallback(truth, rankings, thresholds=(0.1, 0.4, 0.55), ambiguities=(0.0, 0.1))
    assert (best.threshold, best.ambiguity_threshold) == (0.4, 0.0)
    assert best.utility == pytest.approx(3 / 4)
    assert fallback_outcome(truth, rankings, 0.1, 0.0).utility == pytest.approx(2 / 4)
    assert fallback_outcome(truth, rankings, 0.1, 0.1).fallback_rate == pytest.approx(2 / 4)


def test_service_outcomes_follow_the_resolution_decision():
    assert service_outcome(["reisepass"], resolution("answer", "reisepass")) is ServiceOutcome.FIRST
    assert (
        service_outcome(["reisepass"], resolution("choose", "personalausweis", "reisepass")) is ServiceOutcome.OFFERED
    )
    assert service_outcome(["reisepass"], resolution("choose", "reisepass", "x")) is ServiceOutcome.FIRST
    # a question naming two services: either one first counts
    assert service_outcome(["reisepass", "personalausweis"], resolution("answer", "personalausweis")) is (
        ServiceOutcome.FIRST
    )
    # "none" offers nothing even when it lists candidates; a missing key is not found
    assert service_outcome(["reisepass"], resolution("none", "reisepass")) is ServiceOutcome.MISSED
    assert service_outcome(["reisepass"], {"intent": {"name": "ask_fees"}}) is ServiceOutcome.MISSED
    assert service_outcome(["reisepass"], resolution("answer", "personalausweis")) is ServiceOutcome.MISSED
    assert offered_ids(resolution("choose", "a", "b", "c", "d")["service_resolution"]) == ["a", "b", "c"]


def test_only_an_answer_is_a_confident_wrong_service_out_of_catalogue():
    assert confident_wrong(resolution("answer", "wohngeld"))
    assert not confident_wrong(resolution("choose", "wohngeld", "hundesteuer"))
    assert not confident_wrong(resolution("none"))
    assert not confident_wrong({})


def test_service_scores_and_ratio():
    scores = service_scores(
        [
            (["reisepass"], resolution("answer", "reisepass")),
            (["wohngeld"], resolution("choose", "hundesteuer", "wohngeld")),
            (["sperrmuell"], resolution("none")),
            (["fundsache"], resolution("answer", "fundsache")),
        ],
        [resolution("answer", "wohngeld"), resolution("none")],
    )
    assert (scores.n, scores.first, scores.first_or_offered) == (4, 0.5, 0.75)
    assert (scores.out_of_catalogue_n, scores.out_of_catalogue_confident_wrong, scores.resolver_present) == (2, 1, True)
    assert not service_scores([(["a"], {})], []).resolver_present
    assert ratio(0.9, 0.6) == pytest.approx(1.5)
    assert ratio(1.0, 0.0) == float("inf")
