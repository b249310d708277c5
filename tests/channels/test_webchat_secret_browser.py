"""The widget's secret mode in Chromium against the gateway with a fake Rasa (no model needed):
the access code goes in through a password field, and neither it nor the answer to it is stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from bot.gateway.app import create_app
from bot.gateway.settings import GatewaySettings
from tests.browser import chromium
from tests.conftest import free_port
from tests.fakes.rasa import FakeRasa, Replies

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

CLOSED = "http://127.0.0.1:9"
ASK_CODE = "Bitte geben Sie jetzt den Zugangscode ein."
STATUS = "Ihr Vorgang hat den Status „in Bearbeitung“."


def case_dialogue(sender: str, text: str) -> Replies:
    if text.startswith("BA-"):
        return [{"recipient_id": sender, "text": ASK_CODE}, {"recipient_id": sender, "custom": {"input": "secret"}}]
    if text == "K7M2Q9":
        return [{"recipient_id": sender, "text": STATUS}]
    if text == "falsch":
        return [
            {"recipient_id": sender, "text": "Das passt nicht."},
            {"recipient_id": sender, "text": ASK_CODE},
            {"recipient_id": sender, "custom": {"input": "secret"}},
        ]
    return [{"recipient_id": sender, "text": "Bitte nennen Sie mir Ihr Aktenzeichen."}]


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    rasa = FakeRasa(reply=case_dialogue)
    settings = GatewaySettings(
        secret_key="browser-secret",
        rasa_url=CLOSED,
        actions_url=CLOSED,
        backend_url=CLOSED,
        telegram_bot_token=None,
        data_dir=Path(tmp_path_factory.mktemp("gateway")),
    )
    port = free_port()
    app = create_app(settings, rasa_transport=rasa.transport)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws="wsproto", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "gateway did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(gateway_url: str):
    with chromium() as browser:
        context = browser.new_context(base_url=gateway_url, locale="de-DE")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        context.close()
        assert errors == [], errors


def send(page, text: str) -> None:
    page.fill("#buergerbot-input", text)
    page.press("#buergerbot-input", "Enter")


def storage(page) -> str:
    return page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")


def test_a_secret_entry_and_its_answer_live_in_memory_only(page):
    page.goto("/")
    send(page, "Wie ist der Stand meines Antrags?")
    page.locator(".bb-bot", has_text="Aktenzeichen").wait_for()
    assert page.evaluate("document.querySelector('#buergerbot-input').tagName") == "TEXTAREA"
    send(page, "BA-2025-004711")
    page.locator(".bb-bot", has_text="Zugangscode").wait_for()
    page.wait_for_function("() => document.querySelector('#buergerbot-input').type === 'password'")
    assert page.get_attribute("#buergerbot-input", "autocomplete") == "off"
    send(page, "falsch")  # a wrong code: the bot asks again, and the field stays masked
    page.locator(".bb-bot", has_text="Das passt nicht").wait_for()
    page.wait_for_function("() => document.querySelector('#buergerbot-input').type === 'password'")
    send(page, "K7M2Q9")
    page.locator(".bb-bot", has_text="in Bearbeitung").wait_for()
    assert page.evaluate("document.querySelector('#buergerbot-input').tagName") == "TEXTAREA"
    log = page.locator("#buergerbot-log").inner_text()
    assert "K7M2Q9" not in log and "falsch" not in log and "••••••" in log
    stored = storage(page)
    assert "BA-2025-004711" in stored  # the rest of the conversation is kept as before
    assert "K7M2Q9" not in stored and "in Bearbeitung" not in stored and "Das passt nicht" not in stored
    page.reload()
    page.locator(".bb-bot", has_text="Aktenzeichen").first.wait_for()
    assert "in Bearbeitung" not in page.content() and "K7M2Q9" not in page.content()
