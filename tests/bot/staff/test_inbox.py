"""The NLU inbox over a tracker store written by Rasa's own SQLTrackerStore (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.infra.paths import DOMAIN_FILE
from bot.staff.inbox import InboxFilter, like_pattern, list_messages, parse_event, pseudonym
from bot.staff.ratings import rate
from bot.staff.reviews import review
from bot.staff.tables import connect


def user_event(text: str, intent: str, confidence: float, ref: str, timestamp: float):
    from rasa.shared.core.events import UserUttered

    entities = [{"entity": "service", "value": "reisepass", "start": 15, "end": 24}] if "Reisepass" in text else []
    parse = {
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities,
        "intent_ranking": [{"name": intent, "confidence": confidence}, {"name": "help", "confidence": 0.1}],
    }
    return UserUttered(text, parse["intent"], entities, parse, timestamp=timestamp, metadata={"ref": ref})


@pytest.fixture(params=["sqlite", "postgresql"])
def database_urls(request, tmp_path: Path):
    """(tracker store URL, staff database URL): SQLite files, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'staff.db'}"
        return
    name = f"buergerbot_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine("postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        yield url, url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def stores(database_urls):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker_url, staff_url = database_urls
    parsed = sa.engine.make_url(tracker_url)
    store = SQLTrackerStore(
        Domain.empty(),
        dialect=parsed.drivername,
        host=parsed.host,
        port=parsed.port,
        db=parsed.database,
        username=parsed.username,
    )
    now = time.time()
    conversations = {
        "web:abc": [("Was kostet ein Reisepass?", "ask_fees", 0.95, "r1"), ("/affirm", "affirm", 1.0, "r2")],
        "telegram:42": [("Ich heiße Erika Muster", "nlu_fallback", 0.3, "7"), ("Danke", "thank", 0.55, "8")],
    }
    for sender, messages in conversations.items():
        tracker = DialogueStateTracker(sender, None)
        for offset, (text, intent, confidence, ref) in enumerate(messages):
            tracker.update(user_event(text, intent, confidence, ref, now - 100 + offset))
        asyncio.run(store.save(tracker))
    store.engine.dispose()
    tracker_engine = sa.create_engine(tracker_url)
    staff_engine = connect(staff_url)
    yield tracker_engine, staff_engine
    tracker_engine.dispose()
    staff_engine.dispose()


def texts(stores, **filters) -> list[str]:
    items, _ = list_messages(*stores, InboxFilter(**filters))
    return [i.text for i in items]


def test_typed_messages_newest_first_redacted_without_button_payloads(stores):
    assert texts(stores) == ["Danke", "Ich heiße [NAME]", "Was kostet ein Reisepass?"]


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"low_confidence": True}, ["Danke", "Ich heiße [NAME]"]),
        ({"fallback": True}, ["Ich heiße [NAME]"]),
        ({"intent": "ask_fees"}, ["Was kostet ein Reisepass?"]),
        ({"channel": "telegram"}, ["Danke", "Ich heiße [NAME]"]),
        ({"q": "reisepass"}, ["Was kostet ein Reisepass?"]),
        ({"q": "Erika"}, []),  # the search sees only the redacted text
        ({"date_from": date(2000, 1, 1), "date_to": date(2000, 1, 2)}, []),
    ],
)
def test_filters(stores, filters, expected):
    assert texts(stores, **filters) == expected


def test_reviews_and_ratings_appear_next_to_the_message(stores):
    tracker, staff = stores
    rate(staff, "telegram:42", "8", -1)
    first = list_messages(tracker, staff, InboxFilter(q="Danke"))[0][0]
    assert first.rating == -1 and first.review is None
    review(tracker, staff, DOMAIN_FILE, event_id=first.id, decision="confirm", actor="anna")
    assert texts(stores, rated_down=True) == ["Danke"]
    assert texts(stores, reviewed=True) == ["Danke"] and "Danke" not in texts(stores, reviewed=False)
    item = list_messages(tracker, staff, InboxFilter(reviewed=True))[0][0]
    assert item.review["status"] == "confirmed" and item.review["intent"] == "thank"
    assert "sender_id" not in item.public() and item.public()["conversation"] == pseudonym("telegram:42")


def test_pages_follow_the_cursor(stores):
    tracker, staff = stores
    page, cursor = list_messages(tracker, staff, InboxFilter(), limit=2)
    rest, end = list_messages(tracker, staff, InboxFilter(), limit=2, before=cursor)
    assert [i.text for i in page + rest] == ["Danke", "Ich heiße [NAME]", "Was kostet ein Reisepass?"]
    assert end is None


def test_parse_event_ignores_payloads():
    assert parse_event(1, "web:x", 0.0, {"text": "/greet"}) is None


def test_confirming_keeps_entities_as_written_not_their_canonical_value(stores):
    tracker, staff = stores
    item = list_messages(tracker, staff, InboxFilter(q="Reisepass"))[0][0]
    assert item.entities == [{"entity": "service", "value": "reisepass", "text": "Reisepass"}]
    result = review(tracker, staff, DOMAIN_FILE, event_id=item.id, decision="confirm", actor="anna")
    assert result["entities"] == [{"entity": "service", "value": "Reisepass"}]


SEARCH_TEXTS = [
    "Wann hat das BÜRGERAMT offen?",
    "Ich wohne in der Straße am Markt",
    "Ist das 100% sicher?",
    'Er sagte "Termin_absagen" und ging',
    "Mein Code ist K7M2 Q9",
    "Ich heiße Erika Muster",
    "Grüße aus Köln",
]


@pytest.fixture
def search_stores(database_urls):
    """A tracker store (written by Rasa) with texts that stress the SQL search: umlauts, ß,
    LIKE wildcards, JSON-escaped quotes, redacted data; then 600 messages that do not match."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker_url, staff_url = database_urls
    parsed = sa.engine.make_url(tracker_url)
    store = SQLTrackerStore(
        Domain.empty(),
        dialect=parsed.drivername,
        host=parsed.host,
        port=parsed.port,
        db=parsed.database,
        username=parsed.username,
    )
    now = time.time() - 1000
    tracker = DialogueStateTracker("web:search", None)
    for offset, text in enumerate(SEARCH_TEXTS):
        tracker.update(user_event(text, "greet", 0.9, f"s{offset}", now + offset))
    asyncio.run(store.save(tracker))
    filler = DialogueStateTracker("web:filler", None)
    for offset in range(600):
        filler.update(user_event(f"Nachricht Nummer {offset}", "greet", 0.9, f"f{offset}", now + 100 + offset))
    asyncio.run(store.save(filler))
    store.engine.dispose()
    tracker_engine = sa.create_engine(tracker_url)
    staff_engine = connect(staff_url)
    yield tracker_engine, staff_engine
    tracker_engine.dispose()
    staff_engine.dispose()


@pytest.mark.parametrize(
    "q",
    [
        "bürgeramt",
        "BÜRGERAMT",
        "strasse",
        "STRASSE",
        "100%",
        "100_",
        '"termin_',
        "k7m2",
        "[code]",
        "code",
        "name",
        "erika",
        "grüße aus",
        "ü",
        "%",
        "_",
        "nummer 12",
    ],
)
def test_search_in_sql_finds_what_the_redacted_text_contains(search_stores, q):
    tracker, staff = search_stores
    everything, _ = list_messages(tracker, staff, InboxFilter(), limit=1000)
    expected = [i.text for i in everything if q.casefold() in i.text.casefold()]
    found, _ = list_messages(tracker, staff, InboxFilter(q=q), limit=1000)
    assert [i.text for i in found] == expected


def test_search_is_narrowed_in_sql_so_old_matches_are_found(search_stores):
    """600 newer messages that do not match would exhaust a Python scan of 500 rows."""
    tracker, staff = search_stores
    found, _ = list_messages(tracker, staff, InboxFilter(q="Köln"), max_scanned=500)
    assert [i.text for i in found] == ["Grüße aus Köln"]


def test_like_patterns_escape_and_fall_back():
    assert like_pattern("100%_!") == "%100!%!_!!%"
    assert like_pattern("Straße") == "%stra%e%"
    assert like_pattern('Sagte "ja"') == '%sagte \\"ja\\"%'
    assert like_pattern("[NAME]") is None and like_pattern("ame") is None and like_pattern("") is None
