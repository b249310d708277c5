"""The web chat in a real browser (Debian's Chromium driven by Playwright) against the full stack."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.launcher.processes import Stack
from tests.browser import axe_violations, chromium

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

BOT = "#buergerbot-log .bb-msg.bb-bot"
USER = "#buergerbot-log .bb-msg.bb-user"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, full_stack: Stack):
    context = browser.new_context(base_url=full_stack.gateway_url, locale="de-DE")  # the page's real CSP
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors


def send(page, text: str) -> None:
    page.fill("#buergerbot-input", text)
    page.press("#buergerbot-input", "Enter")


def wait_for_bot_text(page, pattern: str, timeout: float = 30_000) -> None:
    page.locator(BOT, has_text=re.compile(pattern)).first.wait_for(timeout=timeout)


def test_conversation_with_buttons_survives_a_reload(page):
    page.goto("/")
    send(page, "Was kostet ein Reisepass?")
    wait_for_bot_text(page, "Gebühr für Reisepass")
    page.locator(".bb-quick-reply", has_text="Dauer").last.click()
    wait_for_bot_text(page, "Bearbeitungszeit für Reisepass")
    assert page.locator(USER).last.locator(".bb-text").inner_text() == "Dauer"
    before = page.locator("#buergerbot-log .bb-msg").count()
    page.reload()
    page.locator(BOT, has_text="Bearbeitungszeit für Reisepass").first.wait_for()
    assert page.locator("#buergerbot-log .bb-msg").count() >= before
    send(page, "Und was muss ich mitbringen?")  # the same conversation: the topic is still Reisepass
    wait_for_bot_text(page, "Für Reisepass bringen Sie bitte mit")


def test_new_conversation_button_clears_everything(page):
    page.goto("/")
    send(page, "Hallo")
    wait_for_bot_text(page, "Guten Tag")
    page.click("#buergerbot-new")
    assert page.locator(USER).count() == 0
    send(page, "Und wie lange dauert das?")  # no topic any more
    wait_for_bot_text(page, "Zu welcher Leistung|Meinen Sie")


def test_keyboard_only(page):
    page.goto("/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "buergerbot-input":
            break
    else:
        pytest.fail("the chat input cannot be reached with the Tab key")
    page.keyboard.type("Wann hat das Standesamt offen?")
    page.keyboard.press("Enter")
    wait_for_bot_text(page, "Standesamt")
    button = page.locator(".bb-quick-reply", has_text="Adresse und Anfahrt").last
    button.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    wait_for_bot_text(page, "Telefon:")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "buergerbot-launcher"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'buergerbot-input'")


def test_markup_is_shown_as_text(page):
    page.goto("/")
    send(page, '<script>window.__pwned = 1</script><b>fett</b> <img src=x onerror="window.__pwned=2">')
    page.locator(USER, has_text="<b>fett</b>").wait_for()
    page.locator(BOT).last.wait_for()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#buergerbot-log b, #buergerbot-log img, #buergerbot-log script").count() == 0


def test_no_serious_accessibility_violations(page):
    page.goto("/")
    send(page, "Was kostet ein Personalausweis?")
    wait_for_bot_text(page, "Personalausweis")
    assert axe_violations(page) == []


def test_an_answer_can_be_rated_and_staff_see_the_rating(page, full_stack: Stack):
    import sqlalchemy as sa

    page.goto("/")
    send(page, "Wo ist das Standesamt?")
    page.locator(f"{BOT} .bb-rating").last.wait_for()
    assert page.locator(f"{BOT} .bb-rating").count() == 1  # one rating per answer, under its last message
    no = page.locator(".bb-rating-button", has_text="Nein").last
    no.click()
    page.locator(".bb-rating-feedback", has_text="Danke für Ihre Rückmeldung.").wait_for()
    assert no.get_attribute("aria-pressed") == "true"
    page.reload()
    page.locator(f"{BOT} .bb-rating").last.wait_for()
    assert page.locator(".bb-rating-button", has_text="Nein").last.get_attribute("aria-pressed") == "true"
    engine = sa.create_engine(f"sqlite:///{full_stack.env['BUERGERBOT_DATA_DIR']}/staff.db")
    with engine.connect() as conn:
        values = [r.value for r in conn.execute(sa.text("SELECT value FROM ratings WHERE sender_id LIKE 'web:%'"))]
    engine.dispose()
    assert -1 in values


def test_kiosk_mode_stores_nothing_and_resets_itself(page):
    page.goto("/?kiosk=1&kiosk_timeout=3")
    send(page, "Was kostet ein Reisepass?")
    wait_for_bot_text(page, "Gebühr für Reisepass")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.evaluate("document.cookie") == ""
    page.wait_for_function(
        "() => document.querySelectorAll('#buergerbot-log .bb-msg.bb-user').length === 0", timeout=15_000
    )
    assert "zurückgesetzt" in page.locator("#buergerbot-log").inner_text()
    assert page.evaluate("localStorage.length") == 0


def test_message_typed_while_offline_is_sent_on_reconnect(page, full_stack: Stack):
    page.goto("/")
    send(page, "Hallo")
    wait_for_bot_text(page, "Guten Tag")
    full_stack.stop(("gateway",))
    try:
        page.wait_for_function(
            "() => !/^Verbunden/.test(document.querySelector('#buergerbot-status').innerText)", timeout=15_000
        )
        send(page, "Was kostet eine Meldebescheinigung?")
        page.locator(USER, has_text="Meldebescheinigung").wait_for()
    finally:
        full_stack.start(("gateway",))
        full_stack.wait_ready(timeout=60)
    wait_for_bot_text(page, "Gebühr für Meldebescheinigung", timeout=60_000)


def without_example(text: str) -> str:
    """The text as the citizen sees it (the prompt's example code is not a real one)."""
    return text


def test_the_access_code_and_the_case_status_are_never_stored_in_the_browser(page):
    page.goto("/")
    send(page, "Wie ist der Stand meines Antrags?")
    wait_for_bot_text(page, "Aktenzeichen")
    send(page, "BA-2025-004711")
    wait_for_bot_text(page, "Zugangscode")
    page.wait_for_function("() => document.querySelector('#buergerbot-input').type === 'password'")
    assert page.get_attribute("#buergerbot-input", "autocomplete") == "off"
    send(page, "K7M2Q9")
    wait_for_bot_text(page, "Bundesdruckerei")  # the case status, shown while the page lives
    assert page.evaluate("document.querySelector('#buergerbot-input').tagName") == "TEXTAREA"  # back to normal
    assert "K7M2Q9" not in without_example(page.locator("#buergerbot-log").inner_text())  # the entry is masked
    stored = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert "buergerbot.history" in stored and "004711" in stored  # the conversation itself is kept
    assert "K7M2Q9" not in without_example(stored)
    assert "Bundesdruckerei" not in stored and "in Bearbeitung" not in stored
    page.reload()
    page.locator(BOT, has_text="Zugangscode").first.wait_for()
    shown = without_example(page.locator("#buergerbot-log").inner_text() + page.content())
    assert "K7M2Q9" not in shown and "Bundesdruckerei" not in shown
