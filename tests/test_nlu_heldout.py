"""NLU quality on the held-out file tests/nlu/test_nlu.yml (never used for training)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.launcher.processes import Stack

pytestmark = pytest.mark.slow

HELD_OUT = Path(__file__).parent / "nlu" / "test_nlu.yml"


def normalized(text: str) -> str:
    return re.sub(r"[^\w ]", "", text.lower()).strip()


@pytest.fixture(scope="module")
def predictions(full_stack: Stack) -> list[tuple[object, dict]]:
    examples = load_data(str(HELD_OUT)).intent_examples
    rasa = full_stack.rasa_api()
    return [(ex, rasa.parse(ex.get("text"))) for ex in examples]


def test_held_out_file_is_large_enough_and_not_in_training_data(predictions):
    counts = Counter(ex.get("intent") for ex, _ in predictions)
    assert len(counts) == 20 and min(counts.values()) >= 10
    training_texts = {normalized(ex.get("text")) for ex in load_data("data/nlu").intent_examples}
    assert [ex.get("text") for ex, _ in predictions if normalized(ex.get("text")) in training_texts] == []


def test_intent_accuracy_is_at_least_90_percent(predictions):
    # An nlu_fallback prediction counts as wrong: the citizen would be asked to rephrase.
    wrong = [
        (ex.get("text"), ex.get("intent"), p["intent"]["name"])
        for ex, p in predictions
        if p["intent"]["name"] != ex.get("intent")
    ]
    accuracy = 1 - len(wrong) / len(predictions)
    assert accuracy >= 0.90, f"accuracy {accuracy:.3f}; wrong: {wrong}"


def test_every_case_number_is_extracted_and_normalised(predictions):
    expected = [
        (ex.get("text"), e["value"])
        for ex, _ in predictions
        for e in ex.get("entities", [])
        if e["entity"] == "case_number"
    ]
    assert len(expected) >= 10
    found = {
        (ex.get("text"), e["value"]) for ex, p in predictions for e in p["entities"] if e["entity"] == "case_number"
    }
    assert [pair for pair in expected if pair not in found] == []


def test_services_and_offices_are_mostly_extracted(predictions):
    expected = [
        (ex.get("text"), e["entity"], e["value"])
        for ex, _ in predictions
        for e in ex.get("entities", [])
        if e["entity"] in ("service", "office")
    ]
    found = {(ex.get("text"), e["entity"], e["value"]) for ex, p in predictions for e in p["entities"]}
    recall = sum(item in found for item in expected) / len(expected)
    assert recall >= 0.85, [item for item in expected if item not in found]
