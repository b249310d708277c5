"""Case checks: attempts counted atomically per number before the code is compared, in a window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bot.backend.app import create_app
from bot.backend.cases import check_case
from bot.backend.deps import get_now
from bot.backend.errors import CaseLocked, CaseNotVerified
from bot.backend.lockout import CaseCheckAttemptRecord
from bot.backend.settings import BackendSettings

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CHECK = "/api/cases/check"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(BackendSettings(data_dir=tmp_path))) as test_client:
        yield test_client


@pytest.fixture
def set_clock(client: TestClient) -> Callable[[datetime], None]:
    def set_now(moment: datetime) -> None:
        client.app.dependency_overrides[get_now] = lambda: moment

    return set_now


def attempts_of(client: TestClient, case_number: str) -> int | None:
    with client.app.state.session_factory() as session:
        record = session.get(CaseCheckAttemptRecord, case_number)
        return None if record is None else int(record.attempts)


def _post(client: TestClient, number: str, code: str) -> int:
    return client.post(CHECK, json={"case_number": number, "access_code": code}).status_code


def test_thirty_parallel_wrong_codes_count_thirty_and_lock(client: TestClient):
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda i: _post(client, "BA-2025-004711", f"AAAA{i:02d}"), range(30)))
    assert attempts_of(client, "BA-2025-004711") == 30
    assert statuses.count(403) == 4 and statuses.count(423) == 26  # the fifth failure locks
    assert _post(client, "BA-2025-004711", "K7M2Q9") == 423  # the right code is refused too


def test_concurrent_first_failures_never_give_a_server_error(client: TestClient):
    numbers = [f"ZZ-2025-{n:06d}" for n in range(6)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda i: _post(client, numbers[i % 6], "AAAAAA"), range(24)))
    assert set(statuses) == {403} and all(attempts_of(client, n) == 4 for n in numbers)


def test_failures_older_than_the_window_stop_counting(client: TestClient, set_clock):
    set_clock(START)
    assert [_post(client, "BA-2025-004712", "AAAAAA") for _ in range(4)] == [403] * 4
    set_clock(START + timedelta(minutes=14, seconds=59))
    assert _post(client, "BA-2025-004712", "AAAAAA") == 423  # still the same window: the fifth locks
    set_clock(START + timedelta(minutes=15))  # the window (lockout_minutes) has run out
    assert _post(client, "BA-2025-004712", "P4X8N2") == 200
    assert attempts_of(client, "BA-2025-004712") is None  # the right code clears the count


def test_locked_answer_names_the_end_of_the_window(client: TestClient, set_clock):
    set_clock(datetime.now(timezone.utc))
    for _ in range(5):
        response = client.post(CHECK, json={"case_number": "WG-2025-001234", "access_code": "AAAAAA"})
    assert response.status_code == 423 and 850 < int(response.headers["Retry-After"]) <= 900


@pytest.mark.parametrize("typed", ["k7m2 q9", "K7M2-Q9", "k7m2q9"])
def test_codes_typed_with_spaces_hyphens_or_lower_case_match(client: TestClient, typed: str):
    assert _post(client, "BA-2025-004711", typed) == 200


def test_the_ten_character_demo_code_works_typed_in_groups(client: TestClient):
    response = client.post(CHECK, json={"case_number": "mb 2025 000042", "access_code": "r7kp 4txe-9w"})
    assert response.status_code == 200 and response.json()["status"] == "abholbereit"


def test_check_case_counts_before_comparing(tmp_path: Path):
    """The pure function: unknown numbers count like wrong codes, the count is in the database."""
    from bot.backend.db import make_engine, make_session_factory
    from bot.backend.tables import Base

    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        left = []
        for _ in range(4):
            with pytest.raises(CaseNotVerified) as error:
                check_case(session, "XY-2025-000001", "AAAAAA", now=START, max_attempts=5, lock_minutes=15)
            left.append(error.value.attempts_left)
        with pytest.raises(CaseLocked) as locked:
            check_case(session, "XY-2025-000001", "AAAAAA", now=START, max_attempts=5, lock_minutes=15)
        assert left == [4, 3, 2, 1] and locked.value.until == (START + timedelta(minutes=15)).replace(tzinfo=None)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT attempts FROM case_check_attempts")).scalar_one() == 5
    engine.dispose()
