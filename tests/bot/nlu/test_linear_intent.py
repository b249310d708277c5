import numpy as np
import pytest

from bot.nlu.calibrated_svm import softmax
from bot.nlu.linear_intent import LinearIntentClassifier, combine


def test_average_of_linear_and_diet_best_first():
    ranking = combine({"greet": 0.6, "thank": 0.4}, [{"name": "thank", "confidence": 1.0}], diet_weight=0.5)
    assert [r["name"] for r in ranking] == ["thank", "greet"]
    assert ranking[0]["confidence"] == pytest.approx(0.7) and ranking[1]["confidence"] == pytest.approx(0.3)


def test_without_diet_the_linear_model_decides():
    ranking = combine({"greet": 0.6, "thank": 0.4}, [], diet_weight=0.5)
    assert ranking[0] == {"name": "greet", "confidence": 0.6}


def test_softmax_rows_sum_to_one_and_keep_order():
    probabilities = softmax(np.array([[2.0, 0.0, -1.0], [-5.0, 5.0, 0.0]]))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities.argmax(axis=1).tolist() == [0, 1]


def test_fine_tuning_needs_the_layer_to_start_from():
    with pytest.raises(ValueError, match="e5_layer"):
        LinearIntentClassifier({"fine_tune_epochs": 3}, model_storage=None, resource=None)
