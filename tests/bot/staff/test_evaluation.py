"""Candidate-versus-live comparison and the promotion guard."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.staff.errors import PromotionRefused
from bot.staff.evaluation import check_promotion, compare, confusion_png, metrics

EXAMPLES = [
    {"text": f"t{i}", "intent": intent, "source": "heldout"}
    for i, intent in enumerate(["greet", "greet", "thank", "thank", "help"])
]


def test_metrics_report_accuracy_macro_f1_and_per_intent_scores():
    result = metrics(["greet", "greet", "thank", "help"], ["greet", "thank", "thank", "help"])
    assert result["accuracy"] == 0.75 and result["n"] == 4
    assert result["per_intent"]["greet"] == {"precision": 1.0, "recall": 0.5, "f1": 0.667, "support": 2}
    assert math.isclose(result["macro_f1"], (2 / 3 + 2 / 3 + 1) / 3, abs_tol=1e-3)


def test_compare_lists_changed_predictions_and_whether_they_got_better():
    reviewed = [{"text": "Moin", "intent": "greet", "source": "reviewed"}]
    live = ["greet", "thank", "thank", "thank", "help", "nlu_fallback"]
    candidate = ["greet", "greet", "thank", "greet", "help", "greet"]
    result = compare(EXAMPLES + reviewed, live, candidate)
    assert result["heldout"]["live"]["accuracy"] == 0.8 and result["heldout"]["candidate"]["accuracy"] == 0.8
    assert result["reviewed"]["candidate"]["accuracy"] == 1.0
    assert [(c["text"], c["better"]) for c in result["changed"]] == [("t1", True), ("t3", False), ("Moin", True)]


def evaluation(live: float, candidate: float) -> dict:
    return {"heldout": {"live": {"accuracy": live}, "candidate": {"accuracy": candidate}}}


@pytest.mark.parametrize("live, candidate", [(0.94, 0.95), (0.94, 0.93), (0.9, 0.9)])
def test_promotion_is_allowed_within_one_point(live: float, candidate: float):
    check_promotion(evaluation(live, candidate), "m", 0.01)


@pytest.mark.parametrize("result", [evaluation(0.94, 0.9299), None, {}])
def test_promotion_is_refused_above_one_point_or_without_evaluation(result):
    with pytest.raises(PromotionRefused) as refused:
        check_promotion(result, "m", 0.01)
    assert "Übernahme abgelehnt" in refused.value.text


def test_confusion_matrix_picture_is_a_png(tmp_path: Path):
    picture = confusion_png(["greet", "thank"], ["greet", "greet"], tmp_path / "cm.png", "Test")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_stricter_live_model_promoted_since_counts():
    check_promotion(evaluation(0.90, 0.91), "m", 0.01)
    with pytest.raises(PromotionRefused):
        check_promotion(evaluation(0.90, 0.91), "m", 0.01, live_now=0.95)
