"""The NLU inbox over HTTP: labels, messages, reviews and bulk confirmation."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from .conftest import NO_CSRF, assert_csrf_refused, assert_not_logged_in


def test_labels_are_the_domains_intents_and_entities(reviewer: TestClient, anonymous: TestClient):
    labels = reviewer.get("/staff/api/labels").json()
    assert "greet" in labels["intents"] and "service" in labels["entities"]
    assert labels["intents"] == sorted(labels["intents"])
    assert_not_logged_in(anonymous.get("/staff/api/labels"))


def test_messages_are_redacted_and_paged(reviewer: TestClient, add_message: Callable[..., int]):
    first = add_message("Mein Aktenzeichen ist BA-2025-004711", "ask_status", 0.4, sender="telegram:42")
    second = add_message("Hallo", "greet", 0.97)
    page = reviewer.get("/staff/api/messages", params={"limit": 1}).json()
    assert set(page) == {"items", "next", "low_confidence"} and page["low_confidence"] == 0.6
    (item,) = page["items"]
    assert item["id"] == second and page["next"] == second
    assert set(item) == {
        "id", "at", "channel", "conversation", "text", "intent", "confidence", "entities", "alternatives",
        "rating", "review",
    }  # fmt: skip
    assert item["alternatives"] == [{"name": "goodbye", "confidence": 0.01}]
    older = reviewer.get("/staff/api/messages", params={"before": page["next"]}).json()
    assert [i["id"] for i in older["items"]] == [first] and older["next"] is None
    assert "[AKTENZEICHEN]" in older["items"][0]["text"] and "004711" not in str(older)
    assert older["items"][0]["channel"] == "telegram" and "42" not in older["items"][0]["conversation"]


def test_messages_filters(reviewer: TestClient, add_message: Callable[..., int]):
    low = add_message("Wie bitte", "nlu_fallback", 0.2)
    add_message("Hallo", "greet", 0.97)
    assert [i["id"] for i in reviewer.get("/staff/api/messages?low_confidence=true").json()["items"]] == [low]
    assert [i["id"] for i in reviewer.get("/staff/api/messages?fallback=true").json()["items"]] == [low]
    assert reviewer.get("/staff/api/messages?channel=fax").status_code == 422


def test_messages_need_a_session(anonymous: TestClient):
    assert_not_logged_in(anonymous.get("/staff/api/messages"))


def test_review_correct_confirm_and_discard(reviewer: TestClient, add_message: Callable[..., int]):
    event = add_message("Ich brauche einen Personalausweis", "greet", 0.5)
    entities = [{"entity": "service", "value": "Personalausweis"}]
    corrected = reviewer.post(
        f"/staff/api/messages/{event}/review",
        json={"decision": "correct", "intent": "ask_documents", "entities": entities},
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json() == {
        "id": event,
        "status": "corrected",
        "intent": "ask_documents",
        "entities": [{"entity": "service", "value": "Personalausweis"}],
    }
    confirmed = reviewer.post(f"/staff/api/messages/{event}/review", json={"decision": "confirm"}).json()
    assert confirmed == {"id": event, "status": "confirmed", "intent": "greet", "entities": []}
    item = reviewer.get("/staff/api/messages").json()["items"][0]
    assert item["review"]["status"] == "confirmed" and item["review"]["reviewer"] == "reviewer"
    discarded = reviewer.post(f"/staff/api/messages/{event}/review", json={"decision": "discard"}).json()
    assert discarded["status"] == "discarded" and discarded["intent"] is None


def test_review_refusals(reviewer: TestClient, anonymous: TestClient, add_message: Callable[..., int]):
    event = add_message("Was", "nlu_fallback", 0.1)
    not_understood = reviewer.post(f"/staff/api/messages/{event}/review", json={"decision": "confirm"})
    assert not_understood.status_code == 422 and "nicht verstandene" in not_understood.json()["detail"]
    unknown = reviewer.post(f"/staff/api/messages/{event}/review", json={"decision": "correct", "intent": "fly"})
    assert unknown.status_code == 422 and unknown.json()["detail"] == "Unbekannte Absicht 'fly'."
    assert reviewer.post(f"/staff/api/messages/{event}/review", json={"decision": "maybe"}).status_code == 422
    missing = reviewer.post("/staff/api/messages/999999/review", json={"decision": "discard"})
    assert missing.status_code == 404 and missing.json()["detail"] == "Nachricht 999999 wurde nicht gefunden."
    assert_not_logged_in(anonymous.post(f"/staff/api/messages/{event}/review", json={"decision": "discard"}))
    assert_csrf_refused(
        reviewer.post(f"/staff/api/messages/{event}/review", json={"decision": "discard"}, headers=NO_CSRF)
    )


def test_bulk_confirm_reports_what_it_skipped(reviewer: TestClient, add_message: Callable[..., int]):
    good = add_message("Hallo", "greet", 0.9)
    fallback = add_message("Hä", "nlu_fallback", 0.1)
    response = reviewer.post("/staff/api/messages/bulk-confirm", json={"ids": [good, fallback, 424242]})
    assert response.status_code == 200 and response.json() == {"confirmed": [good], "skipped": [fallback, 424242]}
    assert reviewer.post("/staff/api/messages/bulk-confirm", json={"ids": list(range(501))}).status_code == 422


def test_bulk_confirm_needs_a_session_and_the_csrf_token(anonymous: TestClient, reviewer: TestClient):
    assert_not_logged_in(anonymous.post("/staff/api/messages/bulk-confirm", json={"ids": []}))
    assert_csrf_refused(reviewer.post("/staff/api/messages/bulk-confirm", json={"ids": []}, headers=NO_CSRF))


def test_event_ids_no_database_row_can_have_are_invalid_input(reviewer: TestClient, add_message: Callable[..., int]):
    """Ids beyond a SQL BIGINT overflowed SQLite's driver (a 500); now they are refused in German."""
    add_message("Hallo")
    too_large = 2**63
    refusals = [
        reviewer.post(f"/staff/api/messages/{too_large}/review", json={"decision": "discard"}),
        reviewer.get("/staff/api/messages", params={"before": too_large}),
        reviewer.post("/staff/api/messages/bulk-confirm", json={"ids": [1, too_large]}),
    ]
    for refused in refusals:
        assert refused.status_code == 422 and refused.json()["detail"].startswith("Ungültige Anfrage"), refused.text
    assert "ids.1: muss eine Nummer zwischen 1 und" in refusals[2].json()["detail"]
    largest = reviewer.get("/staff/api/messages", params={"before": too_large - 1})
    assert largest.status_code == 200 and len(largest.json()["items"]) == 1
