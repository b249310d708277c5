"""Export of reviewed examples: deduplicated, conflicts held back, placeholders made fictional,
and the file is valid Rasa training data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.staff.export import annotate, existing_examples, fictionalise, normalise, plan, render


def example(text: str, intent: str, event_id: int = 1, entities: list | None = None, reviewer: str = "anna") -> dict:
    return {"event_id": event_id, "text": text, "intent": intent, "entities": entities or [], "reviewer": reviewer}


def test_same_text_reviewed_twice_is_exported_once():
    by_intent, result = plan(
        [example("Was kostet ein Pass?", "ask_fees", 1), example("was kostet ein  Pass", "ask_fees", 2)], existing={}
    )
    assert by_intent == {"ask_fees": ["was kostet ein  Pass"]} and result.exported == 1 and not result.conflicts


def test_conflicting_labels_are_flagged_and_not_exported():
    by_intent, result = plan(
        [
            example("Termin bitte", "book_appointment", 1, reviewer="anna"),
            example("Termin bitte!", "help", 2, reviewer="ben"),
        ],
        existing={},
    )
    assert by_intent == {} and result.exported == 0
    assert [sorted(r["intent"] for r in c["reviews"]) for c in result.conflicts] == [["book_appointment", "help"]]


def test_text_already_in_training_data_is_skipped_or_a_conflict_when_labelled_differently():
    existing = {normalise("Hallo"): "greet", normalise("Danke"): "thank"}
    by_intent, result = plan([example("hallo!", "greet", 1), example("Danke", "goodbye", 2)], existing)
    assert by_intent == {} and result.already_in_training_data == 1
    assert result.conflicts[0]["training_data"] == "thank"


def test_placeholders_become_fictional_values_and_entities_are_annotated():
    text = fictionalise("Stand von [AKTENZEICHEN] für den Reisepass, ich heiße [NAME]")
    assert "[" not in text and "BA-2025-000123" in text
    assert annotate(text, [{"entity": "service", "value": "Reisepass"}]).count("[Reisepass](service)") == 1


def test_rendered_file_is_read_back_by_rasa(tmp_path: Path):
    from rasa.shared.nlu.training_data.loading import load_data

    by_intent, _ = plan(
        [
            example(
                "Ich brauche einen neuen Reisepass", "service_info", 1, [{"entity": "service", "value": "Reisepass"}]
            ),
            example("Moin zusammen", "greet", 2),
        ],
        existing={},
    )
    path = tmp_path / "reviewed.yml"
    path.write_text(render(by_intent), encoding="utf-8")
    data = load_data(str(path))
    assert sorted(e.get("intent") for e in data.intent_examples) == ["greet", "service_info"]
    service = next(e for e in data.intent_examples if e.get("intent") == "service_info")
    assert service.get("entities")[0]["value"] == "Reisepass"
    assert existing_examples(tmp_path, exclude=tmp_path / "other.yml")[normalise("Moin zusammen")] == "greet"


@pytest.mark.parametrize("text", ["Hallo!", "  hallo ", "HALLO?"])
def test_normalise_ignores_case_space_and_end_punctuation(text: str):
    assert normalise(text) == "hallo"
