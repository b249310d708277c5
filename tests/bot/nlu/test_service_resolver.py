"""The service resolver: scoring and decision (lexical index, no e5), the intent guard, and the
Rasa component's output, entity and catalogue reload."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from bot.core.catalogue import Catalogue, parse_catalogue
from bot.nlu.catalogue_source import CatalogueSource
from bot.nlu.service_index import Candidate, Resolution, ServiceIndex, Weights, content_tokens
from bot.nlu.service_resolver import ServiceResolver, guarded_intent

SERVICES: list[dict[str, Any]] = [
    {
        "id": "personalausweis",
        "name": "Personalausweis",
        "synonyms": ["Perso", "Ausweis"],
        "keywords": ["Ausweis abgelaufen", "Ausweis verlängern"],
        "life_events": ["ausweis_verloren"],
        "description": "Einen neuen Personalausweis beantragen, wenn der alte abläuft.",
        "office": "buergeramt",
    },
    {
        "id": "vorlaeufiger_personalausweis",
        "name": "Vorläufiger Personalausweis",
        "synonyms": ["Notausweis", "Ersatzausweis"],
        "life_events": ["ausweis_verloren"],
        "description": "Ein Ausweis für drei Monate, sofort ausgestellt.",
        "office": "buergeramt",
    },
    {
        "id": "wohnsitz_anmeldung",
        "name": "Anmeldung des Wohnsitzes",
        "synonyms": ["Ummeldung", "Wohnung anmelden"],
        "keywords": ["ummelden", "Zuzug"],
        "life_events": ["umzug"],
        "description": "Nach dem Einzug melden Sie sich innerhalb von zwei Wochen an.",
        "office": "buergeramt",
    },
    {
        "id": "kfz_zulassung",
        "name": "Kfz-Zulassung",
        "synonyms": ["Auto anmelden", "Autozulassung"],
        "keywords": ["Kennzeichen", "Nummernschild", "zulassen"],
        "life_events": ["auto_gekauft"],
        "description": "Ein Fahrzeug zum Straßenverkehr zulassen.",
        "office": "zulassungsstelle",
    },
    {
        "id": "halterwechsel",
        "name": "Halterwechsel",
        "synonyms": ["Umschreibung", "Auto umschreiben"],
        "life_events": ["auto_gekauft"],
        "description": "Ein gebrauchtes Fahrzeug auf den neuen Halter umschreiben.",
        "office": "zulassungsstelle",
    },
    {
        "id": "hundesteuer",
        "name": "Hundesteuer",
        "synonyms": ["Hund anmelden", "Hundemarke"],
        "description": "Wer einen Hund hält, meldet ihn zur Hundesteuer an.",
        "office": "steueramt",
    },
]
LIFE_EVENTS: list[dict[str, Any]] = [
    {
        "id": "umzug",
        "name": "Umzug",
        "phrases": ["ich bin umgezogen", "neue Wohnung"],
        "services": ["wohnsitz_anmeldung"],
    },
    {
        "id": "auto_gekauft",
        "name": "Auto gekauft",
        "phrases": ["neues Auto gekauft", "Gebrauchtwagen gekauft"],
        "services": ["kfz_zulassung", "halterwechsel"],
    },
    {
        "id": "ausweis_verloren",
        "name": "Ausweis verloren",
        "phrases": ["Ausweis gestohlen", "Ausweis ist weg"],
        "services": ["personalausweis", "vorlaeufiger_personalausweis"],
    },
]
OFFICES = ["buergeramt", "zulassungsstelle", "steueramt"]
# Without e5 the scores lack the dense part the tuned thresholds include: a lexical operating point.
LEXICAL = Weights(dense=0.0, answer=1.0, choose=0.5)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return parse_catalogue(SERVICES, LIFE_EVENTS, OFFICES)


@pytest.fixture(scope="module")
def index(catalogue: Catalogue) -> ServiceIndex:
    return ServiceIndex.build(catalogue, embed=None, weights=LEXICAL)


def top(resolution: Resolution) -> str:
    return resolution.candidates[0].id


# --- scoring and decision --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("Was kostet ein Personalausweis?", "personalausweis"),
        ("mein perso ist abgelaufen was nun", "personalausweis"),
        ("Personalausweiss verlängern", "personalausweis"),  # typo
        ("Ich brauche einen Notausweis", "vorlaeufiger_personalausweis"),
        ("Ich bin umgezogen und muss mich ummelden", "wohnsitz_anmeldung"),  # one-service life event
        ("Ich möchte mein Auto zulassen", "kfz_zulassung"),
        ("Hundemarke", "hundesteuer"),
    ],
)
def test_a_clear_service_is_answered(index: ServiceIndex, text: str, service: str) -> None:
    resolution = index.resolve(text)
    assert resolution.decision == "answer" and top(resolution) == service, resolution


def test_a_life_event_with_several_services_offers_them(index: ServiceIndex) -> None:
    resolution = index.resolve("Ich habe ein neues Auto gekauft")
    assert resolution.decision == "choose" and resolution.life_event == "auto_gekauft"
    assert {c.id for c in resolution.candidates} == {"kfz_zulassung", "halterwechsel"}


def test_a_life_event_that_also_names_a_service_answers_it(index: ServiceIndex) -> None:
    resolution = index.resolve("Gebrauchtwagen gekauft, jetzt der Halterwechsel")
    assert resolution.decision == "answer" and top(resolution) == "halterwechsel"
    assert resolution.life_event == "auto_gekauft"


@pytest.mark.parametrize("text", ["Ich möchte einen Angelschein machen", "Wie ist das Wetter?", "Kindergeld"])
def test_nothing_in_the_catalogue_is_none(index: ServiceIndex, text: str) -> None:
    resolution = index.resolve(text)
    assert resolution.decision == "none" and resolution.candidates == () and resolution.names_topic


def test_a_follow_up_names_no_topic(index: ServiceIndex) -> None:
    resolution = index.resolve("Und was kostet das?")
    assert resolution.decision == "none" and not resolution.names_topic
    assert content_tokens("Und wie lange dauert das?") == []


def test_close_services_are_offered_best_first(catalogue: Catalogue) -> None:
    index = ServiceIndex.build(catalogue, weights=Weights(dense=0.0, answer=9.0, choose=0.5))  # never answered
    resolution = index.resolve("Auto anmelden oder umschreiben")
    assert resolution.decision == "choose" and 2 <= len(resolution.candidates) <= 3
    scores = [c.score for c in resolution.candidates]
    assert scores == sorted(scores, reverse=True)
    assert {"kfz_zulassung", "halterwechsel"} <= {c.id for c in resolution.candidates}


def test_dense_signal_finds_a_service_by_meaning(catalogue: Catalogue) -> None:
    """A fake embedding that places "Welpe" next to the dog tax: the dense part alone finds it."""

    class DogEmbed:
        def passages(self, texts: Any) -> np.ndarray:
            return np.vstack([self.query(text) for text in texts])

        def query(self, text: str) -> np.ndarray:
            dog = "hund" in text.lower() or "welpe" in text.lower()
            return np.asarray([1.0, 0.0] if dog else [0.0, 1.0], np.float32)

    weights = Weights(lexical=0.0, coverage=0.0, dense=1.0, answer=0.5, choose=0.3)
    index = ServiceIndex.build(catalogue, embed=DogEmbed(), weights=weights)
    resolution = index.resolve("Wir haben einen Welpen")
    assert resolution.decision == "answer" and top(resolution) == "hundesteuer"
    lexical_only = ServiceIndex.build(catalogue, weights=LEXICAL).resolve("Wir haben einen Welpen")
    assert lexical_only.decision == "none"


# --- the intent guard ---------------------------------------------------------------------------
STRONG = Resolution("answer", (Candidate("wohnsitz_anmeldung", "Anmeldung des Wohnsitzes", 0.95),))
WEAK = Resolution("choose", (Candidate("a", "A", 0.5), Candidate("b", "B", 0.45)))
RANKING = [{"name": "goodbye"}, {"name": "ask_fees"}, {"name": "service_info"}]


def test_goodbye_with_a_clear_service_becomes_the_service_intent() -> None:
    text = "Ich bin umgezogen und muss mich ummelden"
    assert guarded_intent("goodbye", RANKING, text, STRONG, 0.75, False) == "ask_fees"
    assert guarded_intent("goodbye", [], text, STRONG, 0.75, False) == "service_info"


def test_a_real_goodbye_stays() -> None:
    assert guarded_intent("goodbye", RANKING, "Danke, tschüss!", STRONG, 0.75, False) is None
    assert guarded_intent("goodbye", RANKING, "ummelden", WEAK, 0.75, False) is None


def test_case_status_stays_with_a_status_word_or_a_case_number() -> None:
    text = "Wie ist der Stand meines Antrags auf einen Personalausweis?"
    assert guarded_intent("case_status", RANKING, text, STRONG, 0.75, False) is None
    assert guarded_intent("case_status", RANKING, "Personalausweis BA-2025-004711", STRONG, 0.75, True) is None
    assert guarded_intent("case_status", RANKING, "mein perso ist abgelaufen", STRONG, 0.75, False) == "ask_fees"


def test_other_intents_are_never_changed() -> None:
    assert guarded_intent("book_appointment", RANKING, "Termin Ummeldung", STRONG, 0.75, False) is None
    assert guarded_intent("nlu_fallback", RANKING, "auto zulassen", STRONG, 0.75, False) == "ask_fees"


# --- the Rasa component -------------------------------------------------------------------------
def write_catalogue(directory: Path, services: list[dict[str, Any]]) -> None:
    (directory / "services").mkdir(parents=True, exist_ok=True)
    offices = {"offices": [{"id": office} for office in OFFICES]}
    (directory / "offices.yml").write_text(yaml.safe_dump(offices), encoding="utf-8")
    (directory / "services" / "all.yml").write_text(
        yaml.safe_dump({"services": services}, allow_unicode=True), encoding="utf-8"
    )
    (directory / "life_events.yml").write_text(
        yaml.safe_dump({"life_events": LIFE_EVENTS}, allow_unicode=True), encoding="utf-8"
    )


def message(text: str, intent: str = "service_info", entities: list[dict[str, Any]] | None = None) -> Message:
    return Message(
        data={
            "text": text,
            "intent": {"name": intent, "confidence": 0.6},
            "intent_ranking": [{"name": intent, "confidence": 0.6}, {"name": "service_info", "confidence": 0.2}],
            "entities": entities or [],
        }
    )


@pytest.fixture
def resolver(tmp_path: Path) -> ServiceResolver:
    write_catalogue(tmp_path, SERVICES)
    config = {"weight_dense": 0.0, "weight_answer": 1.0, "weight_choose": 0.5, "guard_score": 1.0}
    component = ServiceResolver(config, CatalogueSource(tmp_path, check_seconds=0.0), embed=None)
    component.rebuild()
    return component


def test_the_component_adds_the_resolution_and_the_service_entity(resolver: ServiceResolver) -> None:
    [out] = resolver.process([message("Ich möchte mein Auto zulassen")])
    resolution = out.get("service_resolution")
    assert resolution["decision"] == "answer" and resolution["candidates"][0]["id"] == "kfz_zulassung"
    assert set(resolution) >= {"decision", "candidates", "life_event"}
    [entity] = out.get("entities")
    assert entity["entity"] == "service" and entity["value"] == "kfz_zulassung"
    assert entity["extractor"] == "ServiceResolver"
    assert "service_resolution" in out.as_dict(only_output_properties=True)


def test_an_extracted_service_entity_that_agrees_is_kept(resolver: ServiceResolver) -> None:
    named = {"entity": "service", "value": "kfz_zulassung", "start": 16, "end": 29}
    [out] = resolver.process([message("Ich möchte mein Auto zulassen", entities=[named])])
    assert out.get("entities") == [named]


def test_the_resolution_decides_over_an_extracted_service_entity(resolver: ServiceResolver) -> None:
    """The actions answer the message's `service` entity: it must be the service the resolution
    decided, so an extractor's other guess is dropped (the answer is the one the bench scores)."""
    office = {"entity": "office", "value": "zulassungsstelle", "start": 0, "end": 4}
    wrong = {"entity": "service", "value": "hundesteuer", "start": 0, "end": 4}
    [out] = resolver.process([message("Ich möchte mein Auto zulassen", entities=[wrong])])
    assert [(e["value"], e["extractor"]) for e in out.get("entities")] == [("kfz_zulassung", "ServiceResolver")]
    [chosen] = resolver.process([message("Ich habe ein Auto gekauft", entities=[wrong, office])])
    assert chosen.get("service_resolution")["decision"] == "choose"
    assert chosen.get("entities") == [office]  # a choice: no service entity, the citizen picks one


def test_a_choice_led_by_a_named_service_becomes_its_answer(catalogue: Catalogue) -> None:
    index = ServiceIndex.build(catalogue, embed=None, weights=Weights(dense=0.0, answer=5.0, choose=0.5))
    text = "Auto zulassen oder umschreiben"
    assert index.resolve(text).decision == "choose"
    first = top(index.resolve(text))
    named = index.resolve(text, named=[first])
    assert named.decision == "answer" and top(named) == first
    other = next(c.id for c in index.resolve(text).candidates if c.id != first)
    assert index.resolve(text, named=[other]).decision == "choose"  # not first: still a choice
    assert index.resolve(text, named=["no_such_service"]) == index.resolve(text)


def test_the_component_keeps_a_service_question_from_goodbye(resolver: ServiceResolver) -> None:
    [out] = resolver.process([message("Ich bin umgezogen und muss mich ummelden", intent="goodbye")])
    assert out.get("intent")["name"] == "service_info"
    assert out.get("service_resolution")["intent_replaced"] == "goodbye"
    [farewell] = resolver.process([message("tschüss", intent="goodbye")])
    assert farewell.get("intent")["name"] == "goodbye"


def test_the_index_follows_catalogue_changes(resolver: ServiceResolver, tmp_path: Path) -> None:
    [before] = resolver.process([message("Ich möchte einen Angelschein")])
    assert before.get("service_resolution")["decision"] == "none"
    angeln = {
        "id": "fischereischein",
        "name": "Fischereischein",
        "synonyms": ["Angelschein"],
        "description": "Zum Angeln brauchen Sie einen Fischereischein.",
        "office": "buergeramt",
    }
    time.sleep(0.01)  # a new modification time
    write_catalogue(tmp_path, [*SERVICES, angeln])
    [after] = resolver.process([message("Ich möchte einen Angelschein")])
    assert after.get("service_resolution")["candidates"][0]["id"] == "fischereischein"


def test_a_broken_catalogue_keeps_the_previous_index(resolver: ServiceResolver, tmp_path: Path) -> None:
    (tmp_path / "services" / "all.yml").write_text("services: [{id: 1}]", encoding="utf-8")
    [out] = resolver.process([message("Hundemarke")])
    assert out.get("service_resolution")["candidates"][0]["id"] == "hundesteuer"


@pytest.mark.slow
def test_e5_retrieval_embeds_long_messages_and_caches_passages() -> None:
    from bot.nlu.service_resolver import E5Retrieval

    embed = E5Retrieval(layer=2)  # few layers: the same code path, less time
    passages = embed.passages(["Hundesteuer", "Hundesteuer", "Fischereischein"])
    query = embed.query("Hund " * 2000)
    assert passages.shape[0] == 3 and query.shape == passages.shape[1:]
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-3)
    assert set(embed._cache) == {"Hundesteuer", "Fischereischein"}  # passages are kept, queries not


@pytest.mark.slow
def test_e5_retrieval_continues_from_the_intent_classifiers_states() -> None:
    """A query whose lower-layer states the intent classifier left behind gets the same vector
    as one encoded from scratch (and the states are really used)."""
    from bot.nlu.e5.states_cache import shared_states
    from bot.nlu.sentence_embeddings import SentenceEmbedder
    from bot.nlu.service_resolver import E5Retrieval

    text = "Ich bin umgezogen und muss mich ummelden"
    scratch = E5Retrieval(layer=4, reuse=2).query(text)
    SentenceEmbedder(e5_layer=2, use=False).embed([text])  # leaves its layer-2 states
    reusing = E5Retrieval(layer=4, reuse=2)
    reusing._load()
    reusing._encoder.lower_one = None  # would fail if it ran the lower layers itself
    assert np.allclose(reusing.query(text), scratch, atol=1e-4)
    assert np.allclose(E5Retrieval(layer=4).query(text), scratch, atol=1e-4)
    assert shared_states().get(2, reusing._tokenizer(text)) is not None


@pytest.mark.slow
def test_passage_vectors_are_kept_on_disk_between_starts(tmp_path: Path) -> None:
    from bot.nlu.service_resolver import E5Retrieval

    first = E5Retrieval(layer=2, store=tmp_path).passages(["Hundesteuer", "Fischereischein"])
    again = E5Retrieval(layer=2, store=tmp_path)
    assert np.allclose(again.passages(["Fischereischein", "Hundesteuer"]), first[::-1])
    assert again._encoder is None  # nothing was embedded: the encoder was never loaded
    assert E5Retrieval(layer=2, store=tmp_path).passages(["Hundemarke"]).shape == (1, first.shape[1])
