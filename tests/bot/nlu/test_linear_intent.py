"""The linear intent classifier as a Rasa component: trains, ranks, stores and loads (sparse
features only here; the embeddings have their own tests)."""

from __future__ import annotations

from pathlib import Path

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

from bot.nlu.calibrated_svm import softmax
from bot.nlu.linear_intent import LinearIntentClassifier

EXAMPLES = {
    "greet": ["hallo", "guten tag", "moin", "hallo zusammen", "guten morgen", "servus"],
    "thank": ["danke", "vielen dank", "danke schön", "besten dank", "danke sehr", "herzlichen dank"],
    "ask_fees": [
        "was kostet ein pass",
        "gebühr pass",
        "wie teuer ist das",
        "kosten ausweis",
        "preis pass",
        "was kostet",
    ],
}


def featurised(texts: list[str], vectorizer: CountVectorizer, intents: list[str] | None = None) -> list[Message]:
    messages = []
    for row, text in enumerate(texts):
        message = Message(data={TEXT: text, **({INTENT: intents[row]} if intents else {})})
        counts = sp.coo_matrix(vectorizer.transform([text]))
        message.add_features(Features(counts, FEATURE_TYPE_SENTENCE, TEXT, "CountVectorsFeaturizer"))
        messages.append(message)
    return messages


@pytest.fixture
def trained(tmp_path: Path) -> tuple[LinearIntentClassifier, CountVectorizer, LocalModelStorage, Resource]:
    texts = [text for examples in EXAMPLES.values() for text in examples]
    intents = [intent for intent, examples in EXAMPLES.items() for _ in examples]
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(texts)
    storage, resource = LocalModelStorage(tmp_path), Resource("linear_intent")
    component = LinearIntentClassifier.create({}, storage, resource, ExecutionContext(None))
    component.train(TrainingData(featurised(texts, vectorizer, intents)))
    return component, vectorizer, storage, resource


def test_ranks_intents_best_first_with_probabilities(trained):
    component, vectorizer, *_ = trained
    [message] = component.process(featurised(["was kostet der pass"], vectorizer))
    ranking = message.get(INTENT_RANKING_KEY)
    assert message.get(INTENT) == ranking[0] and ranking[0]["name"] == "ask_fees"
    assert sorted(r["name"] for r in ranking) == sorted(EXAMPLES)
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True) and sum(confidences) == pytest.approx(1.0)


def test_loaded_model_scores_as_the_trained_one(trained):
    component, vectorizer, storage, resource = trained
    texts = ["danke euch", "moin moin", "kosten pass"]
    loaded = LinearIntentClassifier.load({}, storage, resource, ExecutionContext(None))
    expected = [m.get(INTENT_RANKING_KEY) for m in component.process(featurised(texts, vectorizer))]
    assert [m.get(INTENT_RANKING_KEY) for m in loaded.process(featurised(texts, vectorizer))] == expected


def test_model_saved_by_the_version_with_fine_tuning_and_diet_still_loads(trained):
    """Until 2026-12 the state held a `head` (None for the bot) and config.yml set `diet_weight`."""
    _, vectorizer, storage, resource = trained
    with storage.read_from(resource) as directory:
        path = directory / "linear_intent.joblib"
        joblib.dump({**joblib.load(path), "head": None}, path)
    loaded = LinearIntentClassifier.load({"diet_weight": 0}, storage, resource, ExecutionContext(None))
    [message] = loaded.process(featurised(["vielen dank"], vectorizer))
    assert message.get(INTENT)["name"] == "thank"


def test_untrained_component_leaves_messages_alone(tmp_path: Path):
    component = LinearIntentClassifier.load({}, LocalModelStorage(tmp_path), Resource("none"), ExecutionContext(None))
    message = Message(data={TEXT: "hallo"})
    assert component.process([message]) == [message] and message.get(INTENT) is None


def test_softmax_rows_sum_to_one_and_keep_order():
    probabilities = softmax(np.array([[2.0, 0.0, -1.0], [-5.0, 5.0, 0.0]]))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities.argmax(axis=1).tolist() == [0, 1]
