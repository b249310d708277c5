"""NLU data sets: the development file tests/nlu/test_nlu.yml (quality of the live model, slow) and
the final held-out file tests/nlu/heldout.yml (only its integrity here: what the model does on it is
measured by `make bench` and never asserted, so nothing is tuned on it)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.bench.heldout import FINAL_HELDOUT_FILE, load_heldout
from bot.infra.catalogue_files import load_catalogue
from bot.infra.paths import DATA_DIR, DOMAIN_FILE
from bot.launcher.processes import Stack

HELD_OUT = Path(__file__).parent / "nlu" / "test_nlu.yml"
CATALOGUE_DIR = DATA_DIR / "catalogue"
# Intents a citizen cannot type (none today); every other intent of domain.yml needs 15 questions.
NOT_EXPRESSIBLE: frozenset[str] = frozenset()


def normalized(text: str) -> str:
    """Lower case, punctuation dropped, whitespace collapsed: near-copies count as overlap."""
    return " ".join(re.sub(r"[^\w ]", " ", text.lower()).split())


def training_texts() -> set[str]:
    return {normalized(ex.get("text")) for ex in load_data(str(DATA_DIR / "nlu")).intent_examples}


def catalogue_ids() -> tuple[frozenset[str], frozenset[str]]:
    """(service ids, office ids) of the catalogue the bot ships."""
    offices = yaml.safe_load((CATALOGUE_DIR / "offices.yml").read_text(encoding="utf-8"))["offices"]
    return load_catalogue(CATALOGUE_DIR).ids(), frozenset(o["id"] for o in offices)


def test_final_held_out_file_is_large_and_covers_every_intent():
    questions = load_heldout()
    counts = Counter(q.intent for q in questions)
    domain_intents = set(yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["intents"]) - NOT_EXPRESSIBLE
    assert len(questions) >= 400
    assert set(counts) == domain_intents
    assert {intent: n for intent, n in counts.items() if n < 15} == {}
    assert sum(bool(q.services) and not q.out_of_catalogue for q in questions) >= 100
    assert sum(q.out_of_catalogue for q in questions) >= 15
    assert not [q.text for q in questions if q.out_of_catalogue and q.services]


def test_final_held_out_file_shares_no_text_with_training_or_dev_data():
    questions = load_heldout()
    texts = [normalized(q.text) for q in questions]
    assert [t for t, n in Counter(texts).items() if n > 1] == []
    training = training_texts()
    assert [q.text for q in questions if normalized(q.text) in training] == []
    dev = {normalized(ex.get("text")) for ex in load_data(str(HELD_OUT)).intent_examples}
    assert [q.text for q in questions if normalized(q.text) in dev] == []


def test_final_held_out_entities_name_existing_catalogue_ids_and_normalised_case_numbers():
    service_ids, office_ids = catalogue_ids()
    unknown = []
    for example in load_data(str(FINAL_HELDOUT_FILE)).intent_examples:
        for entity in example.get("entities") or []:
            kind, value = entity["entity"], entity["value"]
            known = {
                "service": value in service_ids,
                "office": value in office_ids,
                "case_number": re.fullmatch(r"[A-Z]{2,3}-(19|20)\d{2}-\d{6}", value) is not None,
            }.get(kind, False)
            if not known:
                unknown.append((example.get("text"), kind, value))
    assert unknown == []


@pytest.fixture(scope="module")
def predictions(full_stack: Stack) -> list[tuple[object, dict]]:
    examples = load_data(str(HELD_OUT)).intent_examples
    rasa = full_stack.rasa_api()
    return [(ex, rasa.parse(ex.get("text"))) for ex in examples]


@pytest.mark.slow
def test_held_out_file_is_large_enough_and_not_in_training_data(predictions):
    counts = Counter(ex.get("intent") for ex, _ in predictions)
    assert len(counts) == 20 and min(counts.values()) >= 10
    training_texts = {normalized(ex.get("text")) for ex in load_data("data/nlu").intent_examples}
    assert [ex.get("text") for ex, _ in predictions if normalized(ex.get("text")) in training_texts] == []


@pytest.mark.slow
def test_intent_accuracy_is_at_least_90_percent(predictions):
    # An nlu_fallback prediction counts as wrong: the citizen would be asked to rephrase.
    wrong = [
        (ex.get("text"), ex.get("intent"), p["intent"]["name"])
        for ex, p in predictions
        if p["intent"]["name"] != ex.get("intent")
    ]
    accuracy = 1 - len(wrong) / len(predictions)
    assert accuracy >= 0.90, f"accuracy {accuracy:.3f}; wrong: {wrong}"


@pytest.mark.slow
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


@pytest.mark.slow
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
