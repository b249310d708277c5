from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from bot.bench.nlu.intent_token_feature import mark_tokens


def message(intent):
    tokens = [Token("weck", 0), Token("mich", 5)]
    tokens[0].set("pattern", {"zip_code": False})
    return Message(data={"text": "weck mich", "intent": intent, TOKENS_NAMES["text"]: tokens})


def test_gold_intent_marks_every_token_and_keeps_regex_patterns():
    m = message("alarm_set")
    mark_tokens(m)
    first, second = m.get(TOKENS_NAMES["text"])
    assert first.get("pattern") == {"zip_code": False, "intent_alarm_set": True}
    assert second.get("pattern") == {"intent_alarm_set": True}


def test_predicted_intent_replaces_an_earlier_mark():
    m = message({"name": "alarm_query", "confidence": 0.9})
    m.get(TOKENS_NAMES["text"])[1].set("pattern", {"intent_alarm_set": True})
    mark_tokens(m)
    assert m.get(TOKENS_NAMES["text"])[1].get("pattern") == {"intent_alarm_query": True}


def test_no_intent_no_mark():
    m = message(None)
    mark_tokens(m)
    assert m.get(TOKENS_NAMES["text"])[1].get("pattern") is None
