import pytest

from bot.nlu.linear_intent import combine


def test_average_of_linear_and_diet_best_first():
    ranking = combine({"greet": 0.6, "thank": 0.4}, [{"name": "thank", "confidence": 1.0}], diet_weight=0.5)
    assert [r["name"] for r in ranking] == ["thank", "greet"]
    assert ranking[0]["confidence"] == pytest.approx(0.7) and ranking[1]["confidence"] == pytest.approx(0.3)


def test_without_diet_the_linear_model_decides():
    ranking = combine({"greet": 0.6, "thank": 0.4}, [], diet_weight=0.5)
    assert ranking[0] == {"name": "greet", "confidence": 0.6}
