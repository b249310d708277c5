"""The HTTP client (`BackendClient`) that production actions use: against the real backend, a
closed port, a hung server, and scripted HTTP answers. Everything else tests actions with a fake."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.cases import ValidateCaseStatusForm
from actions.clients.backend import (
    BackendClient,
    BackendUnavailable,
    CaseLocked,
    CaseNotVerified,
    InvalidId,
    NotFoundInBackend,
    get_backend_client,
    id_path,
)
from actions.offices import ActionAnswerOffice
from actions.services import ActionAnswerService
from actions.settings import ActionSettings
from tests.actions.conftest import run_action, slot_events
from tests.actions.test_cases import submit_code

pytestmark = pytest.mark.anyio


async def test_actions_default_to_the_http_client():
    assert isinstance(ActionAnswerService().backend, BackendClient)
    assert isinstance(get_backend_client(), BackendClient)


# --- against a real backend process ------------------------------------------------------------


async def test_opening_hours_from_the_real_backend(backend_url, make_tracker, domain):
    messages, slots = await run_action(
        ActionAnswerOffice(),
        make_tracker("Wann hat das Standesamt offen?", "ask_opening_hours", {"office": "standesamt"}),
        domain,
    )
    text = messages[0]["text"]
    assert ("jetzt geöffnet" in text or "gerade geschlossen" in text or "Feiertag" in text) and "Montag:" in text
    assert slots["office"] == "standesamt"


async def test_office_payload_carries_clock_and_holidays(backend_url):
    office = await BackendClient().get_office("buergeramt")
    assert datetime.fromisoformat(office["as_of"]).tzinfo is not None
    assert "closed_today" in office and isinstance(office["holidays_this_week"], list)
    assert len(await BackendClient().list_offices()) == 16
    with pytest.raises(NotFoundInBackend):
        await BackendClient().get_office("mond")


async def test_search_on_the_real_backend_finds_the_service_despite_a_typo(backend_url, make_tracker, domain):
    messages, slots = await run_action(
        ActionAnswerService(), make_tracker("was kostet der ausweiss", "ask_fees"), domain
    )
    assert messages[0]["text"].startswith("Gebühr für Personalausweis") and slots["service"] == "personalausweis"


async def test_service_named_only_in_words_on_the_real_backend(backend_url, make_tracker, domain):
    tracker = make_tracker("Was kostet eine Verpflichtungserklärung?", "ask_fees", slots={"service": "reisepass"})
    messages, slots = await run_action(ActionAnswerService(), tracker, domain)
    assert "Verpflichtungserklärung" in messages[0]["text"] and slots["service"] == "verpflichtungserklaerung"


async def test_case_check_on_the_real_backend(backend_url, make_tracker, domain):
    backend = get_backend_client()
    messages, slots = await submit_code(make_tracker, domain, "BA-2025-004711", "k7m2q9", backend)
    assert "in Bearbeitung" in messages[0]["text"] and slots["access_code"] == "verified"
    wrong, _ = await submit_code(make_tracker, domain, "BA-2025-004711", "AAAAAA", backend)
    assert "stimmen nicht" in wrong[0]["text"]


# --- no backend ----------------------------------------------------------------------------------


async def test_backend_down_gives_a_friendly_answer(monkeypatch, make_tracker, domain):
    from actions.settings import get_settings

    monkeypatch.setenv("BUERGERBOT_BACKEND_URL", "http://127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()
    try:
        messages, slots = await run_action(
            ActionAnswerService(),
            make_tracker("Was kostet ein Reisepass?", "ask_fees", {"service": "reisepass"}),
            domain,
        )
    finally:
        get_settings.cache_clear()
    assert "nicht erreichbar" in messages[0]["text"] and "115" in messages[0]["text"]
    assert slots == {}


async def test_backend_down_ends_the_case_check_politely(make_tracker, domain):
    backend = BackendClient(ActionSettings(backend_url="http://127.0.0.1:9"))
    tracker = make_tracker(
        "K7M2Q9",
        "inform",
        slots={"case_number": "BA-2025-004711", "requested_slot": "access_code"},
        active_loop="case_status_form",
    )
    dispatcher = CollectingDispatcher()
    slots = slot_events(await ValidateCaseStatusForm(backend=backend).run(dispatcher, tracker, domain))
    assert "nicht erreichbar" in dispatcher.messages[0]["text"] and slots["case_check_result"] == "unavailable"
    assert slots["access_code"] is None and slots["requested_slot"] is None


async def test_hung_backend_gives_a_friendly_answer(silent_backend, make_tracker, domain):
    messages, slots = await run_action(
        ActionAnswerService(), make_tracker("Was kostet ein Reisepass?", "ask_fees", {"service": "reisepass"}), domain
    )
    assert "nicht erreichbar" in messages[0]["text"] and slots == {}


# --- scripted HTTP answers -----------------------------------------------------------------------


def scripted(status: int, body: dict) -> BackendClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    return BackendClient(ActionSettings(backend_url="http://backend.test"), transport=transport)


async def test_http_answers_become_the_client_errors():
    with pytest.raises(NotFoundInBackend):
        await scripted(404, {"detail": "nicht gefunden"}).get_service("raumschiff")
    with pytest.raises(BackendUnavailable):
        await scripted(503, {}).list_offices()
    with pytest.raises(CaseNotVerified) as not_verified:
        await scripted(403, {"attempts_left": 3}).check_case("BA-2025-004711", "AAAAAA")
    assert not_verified.value.attempts_left == 3
    with pytest.raises(CaseLocked) as locked:
        await scripted(423, {"retry_after_seconds": 60}).check_case("BA-2025-004711", "AAAAAA")
    assert locked.value.retry_after_seconds == 60
    assert await scripted(422, {"detail": "q fehlt"}).search_services("") == []


async def test_access_code_travels_in_the_body_only():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"case_number": "BA-2025-004711"})

    client = BackendClient(ActionSettings(backend_url="http://backend.test"), transport=httpx.MockTransport(answer))
    await client.check_case("BA-2025-004711", "K7M2Q9")
    assert "K7M2Q9" not in str(seen[0].url) and b"K7M2Q9" in seen[0].content


# --- entity values in URL paths --------------------------------------------------------------------


def recording_client(seen: list[httpx.Request]) -> BackendClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "x"})

    return BackendClient(ActionSettings(backend_url="http://backend.test"), transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    "value",
    ["../../health", "..", "reisepass/../../health", "reisepass?x=1", "reisepass#x", "%2e%2e", "Reisepass", "a", ""],
)
async def test_entity_values_that_are_no_ids_never_reach_the_backend(value: str):
    seen: list[httpx.Request] = []
    client = recording_client(seen)
    with pytest.raises(NotFoundInBackend) as not_found:
        await client.get_service(value)
    with pytest.raises(InvalidId):
        await client.get_office(value)
    assert seen == [] and str(not_found.value) == "/api/services/<invalid id> not found"  # input not repeated


async def test_valid_ids_reach_exactly_their_path():
    seen: list[httpx.Request] = []
    client = recording_client(seen)
    await client.get_service("kfz_zulassung")
    await client.get_office("buergeramt")
    assert [r.url.raw_path for r in seen] == [b"/api/services/kfz_zulassung", b"/api/offices/buergeramt"]


def test_id_paths_quote_every_segment():
    assert id_path("services", "reisepass") == "/api/services/reisepass"
    assert id_path("a b", "reisepass") == "/api/a%20b/reisepass"
    with pytest.raises(InvalidId):
        id_path("services", "x" * 65)
