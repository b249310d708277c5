"""Service answers with an in-memory backend: the topic, follow-ups, search results and choices."""

import pytest

from actions.services import ActionAnswerService
from tests.actions.conftest import run_action
from tests.actions.fakes import FakeBackend, match

pytestmark = pytest.mark.anyio

SEARCHES = {
    "Was kostet eine Verpflichtungserklärung?": [match("verpflichtungserklaerung", "Verpflichtungserklärung", 0.95)],
    "was kostet eine urkunde": [
        match("geburtsurkunde", "Geburtsurkunde", 0.7),
        match("eheschliessung", "Eheschließung", 0.68),
    ],
    "was kostet der ausweiss": [
        match("personalausweis", "Personalausweis", 0.92),
        match("reisepass", "Reisepass", 0.5),
    ],
}


async def run(tracker, domain, backend=None):
    return await run_action(ActionAnswerService(backend=backend or FakeBackend(searches=SEARCHES)), tracker, domain)


async def test_fees_for_the_named_service(make_tracker, domain):
    messages, slots = await run(make_tracker("Was kostet ein Reisepass?", "ask_fees", {"service": "reisepass"}), domain)
    assert messages[0]["text"].startswith("Gebühr für Reisepass:") and "€" in messages[0]["text"]
    assert slots["service"] == "reisepass" and slots["office"] == "buergeramt"
    assert {b["title"] for b in messages[0]["buttons"]} >= {"Unterlagen", "Dauer"}
    assert slots["pending_intent"] is None


async def test_follow_up_keeps_the_topic(make_tracker, domain):
    tracker = make_tracker("Und wie lange dauert das?", "ask_processing_time", slots={"service": "reisepass"})
    messages, _ = await run(tracker, domain)
    assert messages[0]["text"].startswith("Bearbeitungszeit für Reisepass:")


async def test_documents_are_listed(make_tracker, domain):
    messages, _ = await run(make_tracker("Unterlagen Perso?", "ask_documents", {"service": "personalausweis"}), domain)
    assert "bringen Sie bitte mit" in messages[0]["text"] and "•" in messages[0]["text"]


async def test_service_named_only_in_words_changes_the_topic(make_tracker, domain):
    tracker = make_tracker("Was kostet eine Verpflichtungserklärung?", "ask_fees", slots={"service": "reisepass"})
    messages, slots = await run(tracker, domain)
    assert "Verpflichtungserklärung" in messages[0]["text"] and slots["service"] == "verpflichtungserklaerung"


async def test_weak_match_keeps_the_topic(make_tracker, domain):
    tracker = make_tracker("was kostet eine urkunde", "ask_fees", slots={"service": "reisepass"})
    messages, slots = await run(tracker, domain)
    assert messages[0]["text"].startswith("Gebühr für Reisepass:") and slots["service"] == "reisepass"


async def test_unclear_service_offers_closest_matches_as_buttons(make_tracker, domain):
    messages, slots = await run(make_tracker("was kostet eine urkunde", "ask_fees"), domain)
    assert messages[0]["text"] == "Meinen Sie eine dieser Leistungen?"
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/ask_fees{"service": "geburtsurkunde"}' in payloads and len(payloads) >= 2
    assert slots == {"pending_intent": "ask_fees"}


async def test_typo_in_an_unknown_word_still_finds_the_service(make_tracker, domain):
    messages, slots = await run(make_tracker("was kostet der ausweiss", "ask_fees"), domain)
    assert messages[0]["text"].startswith("Gebühr für Personalausweis") and slots["service"] == "personalausweis"


async def test_no_service_at_all_asks_with_popular_choices(make_tracker, domain):
    messages, _ = await run(make_tracker("Was kostet das?", "ask_fees"), domain)
    assert "Zu welcher Leistung" in messages[0]["text"] and len(messages[0]["buttons"]) >= 4


async def test_service_unknown_to_the_backend_clears_the_topic(make_tracker, domain):
    messages, slots = await run(make_tracker("Raumschiff?", "ask_fees", {"service": "raumschiff"}), domain)
    assert "keine Informationen" in messages[0]["text"] and slots == {"service": None}


async def test_backend_down_gives_a_friendly_answer(make_tracker, domain):
    backend = FakeBackend(unavailable=True)
    messages, slots = await run(
        make_tracker("Was kostet ein Reisepass?", "ask_fees", {"service": "reisepass"}), domain, backend
    )
    assert "nicht erreichbar" in messages[0]["text"] and "115" in messages[0]["text"]
    assert slots == {}
