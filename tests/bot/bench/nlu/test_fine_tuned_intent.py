"""The benchmark's fine-tuned variant of the intent classifier: trains e5's top layer and a head
on top of the base class, stores and restores them."""

from __future__ import annotations

from pathlib import Path

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

from bot.bench.nlu.fine_tuned_intent import FineTunedIntentClassifier

from .e5.test_fine_tune import LABELS, TEXTS

CONFIG = {"e5_layer": 11, "use_embeddings": False, "fine_tune_epochs": 30, "fine_tune_seed": 1}
INTENTS = ["ask_hours", "ask_fees"]


def featurised(texts: list[str], vectorizer: CountVectorizer, intents: list[str] | None = None) -> list[Message]:
    messages = []
    for row, text in enumerate(texts):
        message = Message(data={TEXT: text, **({INTENT: intents[row]} if intents else {})})
        message.add_features(
            Features(sp.coo_matrix(vectorizer.transform([text])), FEATURE_TYPE_SENTENCE, TEXT, "CountVectorsFeaturizer")
        )
        messages.append(message)
    return messages


@pytest.mark.parametrize("config", [{"e5_layer": 0}, {"fine_tune_epochs": 0}])
def test_needs_a_layer_to_start_from_and_epochs(config):
    with pytest.raises(ValueError, match="e5_layer"):
        FineTunedIntentClassifier(config, model_storage=None, resource=None)


def test_trains_stores_and_loads_the_fine_tuned_layers_and_head(tmp_path: Path, image):
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(TEXTS)
    storage, resource = LocalModelStorage(tmp_path), Resource("fine_tuned_intent")
    component = FineTunedIntentClassifier.create(CONFIG, storage, resource, ExecutionContext(None))
    component.train(TrainingData(featurised(TEXTS, vectorizer, [INTENTS[label] for label in LABELS])))
    with storage.read_from(resource) as directory:
        assert sorted(p.name for p in directory.iterdir()) == ["e5_fine_tuned.npz", "linear_intent.joblib"]
    queries = ["Wann öffnet das Amt?", "Was kostet ein Ausweis?"]
    trained = [m.get(INTENT_RANKING_KEY) for m in component.process(featurised(queries, vectorizer))]
    assert [ranking[0]["name"] for ranking in trained] == INTENTS
    loaded = FineTunedIntentClassifier.load(CONFIG, storage, resource, ExecutionContext(None))
    again = [m.get(INTENT_RANKING_KEY) for m in loaded.process(featurised(queries, vectorizer))]
    for before, after in zip(trained, again, strict=True):
        assert [r["name"] for r in after] == [r["name"] for r in before]
        assert [r["confidence"] for r in after] == pytest.approx([r["confidence"] for r in before], abs=1e-5)
