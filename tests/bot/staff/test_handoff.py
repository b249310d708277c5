"""The handoff store: the database decides races, messages are stored once, the queue order and
the wait estimate, and the events a handoff leaves in the tracker store."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.staff import handoff as store
from bot.staff.accounts import StaffUser, add_user
from bot.staff.dashboard import summarise_handoffs
from bot.staff.errors import InvalidInput
from bot.staff.handoff import AlreadyTaken, NotActive, NotYours
from bot.staff.tables import connect, metadata

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def _postgres_engine() -> Iterator[sa.engine.Engine]:
    """A fresh schema on the loopback PostgreSQL (every machine here runs one)."""
    schema = f"handoff_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required: {exc}")
    engine = sa.create_engine(POSTGRES, future=True, connect_args={"options": f"-csearch_path={schema}"})
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.engine.Engine]:
    if request.param == "sqlite":
        engine = connect(f"sqlite:///{tmp_path / 'staff.db'}")
        yield engine
        engine.dispose()
    else:
        yield from _postgres_engine()


@pytest.fixture
def agents(engine: sa.engine.Engine) -> tuple[StaffUser, StaffUser]:
    return (
        add_user(engine, "anna", "Passwort-fuer-Anna", "agent"),
        add_user(engine, "bert", "Passwort-fuer-Bert", "agent"),
    )


def test_two_agents_taking_at_once_exactly_one_wins_50_times(engine, agents):
    for round_ in range(50):
        handoff = store.open_handoff(engine, f"web:race-{round_}", "buergerservice", "human_handoff")
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def take(
            agent: StaffUser,
            handoff_id: int = handoff.id,
            wait: threading.Barrier = barrier,
            results: list[str] = outcomes,
        ) -> None:
            wait.wait()
            try:
                store.take(engine, handoff_id, agent)
                results.append(agent.name)
            except AlreadyTaken:
                results.append("refused")

        threads = [threading.Thread(target=take, args=(agent,)) for agent in agents]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes)[-1] == "refused" and len(outcomes) == 2 and outcomes.count("refused") == 1
        assert store.get(engine, handoff.id).agent == next(o for o in outcomes if o != "refused")


def test_a_sender_has_one_active_handoff(engine):
    first = store.open_handoff(engine, "web:a", "buergerservice", "human_handoff")
    again = store.open_handoff(engine, "web:a", "beschwerden", "complain")
    assert again.id == first.id and again.team == "buergerservice"
    store.end(engine, first.id, "abandoned")
    assert store.active_for(engine, "web:a") is None
    later = store.open_handoff(engine, "web:a", "beschwerden", "complain")
    assert later.id != first.id and later.team == "beschwerden"


def test_only_the_holder_answers_and_ends(engine, agents):
    anna, bert = agents
    handoff = store.open_handoff(engine, "web:b", "buergerservice", "human_handoff")
    store.take(engine, handoff.id, anna)
    with pytest.raises(NotYours):
        store.end(engine, handoff.id, "closed", agent=bert)
    assert store.end(engine, handoff.id, "closed", agent=anna).state == "closed"
    with pytest.raises(NotActive):
        store.take(engine, handoff.id, bert)
    with pytest.raises(NotActive):
        store.end(engine, handoff.id, "returned", agent=anna)


def test_messages_are_stored_once_per_client_id_and_replayed_by_seq(engine):
    handoff = store.open_handoff(engine, "web:c", "buergerservice", "human_handoff")
    citizen = store.add_message(engine, handoff.id, "citizen", "Hallo", client_id="m1")
    assert store.add_message(engine, handoff.id, "citizen", "Hallo", client_id="m1").seq == citizen.seq
    reply = store.add_message(engine, handoff.id, "agent", "Guten Tag", author="Team Bürgerservice", client_id="m1")
    notice = store.add_message(engine, handoff.id, "system", "Hinweis", buttons=[{"title": "A", "payload": "/a"}])
    assert [m.seq for m in store.messages(engine, handoff.id)] == [citizen.seq, reply.seq, notice.seq]
    assert [m.text for m in store.pushes_after(engine, "web:c", 0)] == ["Guten Tag", "Hinweis"]  # never their own
    assert [m.text for m in store.pushes_after(engine, "web:c", reply.seq)] == ["Hinweis"]
    assert store.pushes_after(engine, "web:c", notice.seq)[0:] == []
    assert store.pushes_after(engine, "web:c", reply.seq)[0].buttons == [{"title": "A", "payload": "/a"}]
    with pytest.raises(InvalidInput):
        store.add_message(engine, handoff.id, "agent", "   ")
    with pytest.raises(InvalidInput):
        store.add_message(engine, handoff.id, "agent", "x" * (store.MAX_TEXT_CHARS + 1))


def test_queue_positions_per_team_and_the_end_of_the_queue_after_requeue(engine, agents):
    a = store.open_handoff(engine, "web:q1", "buergerservice", "human_handoff", now=100)
    b = store.open_handoff(engine, "web:q2", "beschwerden", "complain", now=101)
    c = store.open_handoff(engine, "web:q3", "buergerservice", "human_handoff", now=102)
    active = store.active(engine)
    assert [store.queue_position(active, h.id) for h in (a, b, c)] == [1, 1, 2]
    store.take(engine, a.id, agents[0])
    store.requeue(engine, a.id, now=200)
    active = store.active(engine)
    assert [store.queue_position(active, h.id) for h in (a, c)] == [2, 1]
    moved = store.transfer(engine, store.take(engine, c.id, agents[1]).id, agents[1], "beschwerden")
    assert moved.team == "beschwerden" and store.queue_position(store.active(engine), c.id) == 2


def test_wait_estimate_from_recent_handling_time(engine, agents):
    assert store.handling_seconds(engine, "buergerservice") == store.DEFAULT_HANDLING_SECONDS
    for i, minutes in enumerate([2, 4, 30]):
        handoff = store.open_handoff(engine, f"web:h{i}", "buergerservice", "human_handoff", now=0)
        store.take(engine, handoff.id, agents[0], now=10)
        store.end(engine, handoff.id, "closed", agent=agents[0], now=10 + minutes * 60)
    assert store.handling_seconds(engine, "buergerservice") == 240  # the median resists one long chat
    assert store.estimated_wait_minutes(1, 240, 1) == 2  # half a running conversation
    assert store.estimated_wait_minutes(3, 240, 1) == 10
    assert store.estimated_wait_minutes(3, 240, 2) == 5
    assert store.estimated_wait_minutes(1, 240, 0) == 2  # nobody online: as if one


def test_tracker_events_keep_the_author_and_redaction_follows_the_sync(engine, agents):
    handoff = store.open_handoff(engine, "web:t", "buergerservice", "human_handoff")
    store.take(engine, handoff.id, agents[0])
    store.add_message(engine, handoff.id, "citizen", "Mein Aktenzeichen ist BA-2025-004711", now=5)
    store.add_message(engine, handoff.id, "agent", "Danke", author="Team Bürgerservice", now=6)
    events = store.tracker_events(store.messages(engine, handoff.id))
    assert [(e["event"], e.get("metadata", {}).get("author")) for e in events] == [
        ("action", None),
        ("user", "citizen"),
        ("bot", "agent"),
        ("action", None),
    ]
    store.end(engine, handoff.id, "closed", agent=agents[0])
    assert [h.id for h in store.unsynced(engine)] == [handoff.id]
    store.mark_synced(engine, handoff.id)
    assert store.unsynced(engine) == []
    assert "BA-2025-004711" not in store.messages(engine, handoff.id)[0].text


def test_only_closed_handoffs_are_rated_once(engine, agents):
    handoff = store.open_handoff(engine, "web:r", "buergerservice", "human_handoff")
    assert store.rate(engine, "web:r", 1) is False
    store.take(engine, handoff.id, agents[0])
    store.end(engine, handoff.id, "closed", agent=agents[0])
    assert store.rate(engine, "web:r", 1) is True
    assert store.rate(engine, "web:r", -1) is False


def test_dashboard_figures_of_handoffs():
    rows = [
        (0.0, 30.0, 330.0, "closed"),
        (86_400.0, 90.0 + 86_400, 190.0 + 86_400, "returned"),
        (86_400.0, None, 86_500.0, "abandoned"),
        (86_400.0, 600.0 + 86_400, None, "assigned"),
    ]
    figures = summarise_handoffs(rows, callbacks=2, zone="UTC")
    assert figures["per_day"] == [{"day": "1970-01-01", "count": 1}, {"day": "1970-01-02", "count": 3}]
    assert (figures["wait_median_seconds"], figures["wait_p90_seconds"]) == (90, 600)
    assert (figures["abandoned"], figures["callbacks"], figures["handling_median_seconds"]) == (1, 2, 300)
    assert summarise_handoffs([], 0)["wait_median_seconds"] is None
