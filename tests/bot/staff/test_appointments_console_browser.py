"""The console's "Termine" tab in a real browser against the whole stack (`buergerbot run` hands the
backend's service token to the gateway): a citizen's booking in the day view (with the address for
admins), a closure added and deleted after a confirmation, no tab for reviewers; strict CSP, axe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.launcher.processes import Stack
from tests.bot.gateway.routes.test_appointments import book
from tests.browser import axe_violations, chromium

from .test_console_browser import go_to, ui_login

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, console_stack: Stack) -> Iterator[object]:
    context = browser.new_context(base_url=console_stack.gateway_url, locale="de-DE", timezone_id="Europe/Berlin")
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert problems == [], problems


def test_day_view_and_closures(page, console_stack: Stack):
    from playwright.sync_api import expect

    booking = book(console_stack.backend_url, "erika.browser@example.de")  # the first free slot anywhere
    office = booking["office"]["id"]
    ui_login(page, "admin")
    go_to(page, "Termine")
    page.get_by_label("Dienststelle").select_option(office)
    page.get_by_label("Datum", exact=True).fill(booking["start"][:10])
    page.get_by_role("button", name="Anzeigen", exact=True).click()
    row = page.locator(f'[data-testid="booking-row"][data-id="{booking["id"]}"]')
    expect(row).to_contain_text("Erika Mustermann")
    expect(row).to_contain_text("erika.browser@example.de")  # admins see the address
    expect(row).to_contain_text("gebucht")
    expect(row.get_by_role("button", name="Nicht erschienen")).to_have_count(0)  # not begun yet
    assert axe_violations(page) == []

    day = booking["start"][:10]
    page.get_by_label("Beginn").fill(f"{day}T00:00")
    page.get_by_label("Ende").fill(f"{day}T23:59")
    page.get_by_label("Grund (optional)").fill("Personalversammlung")
    page.get_by_role("button", name="Schließung eintragen").click()
    expect(page.locator("#status")).to_contain_text("1 gebuchte Termine liegen darin")
    closure = page.locator('[data-testid="closure-row"]', has_text="Personalversammlung")
    expect(closure).to_have_count(1)

    closure.get_by_role("button", name="Löschen").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Löschen").click()
    expect(page.locator('[data-testid="closure-row"]', has_text="Personalversammlung")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text("ist gelöscht")


def test_reviewers_have_no_appointments_tab(page, console_stack: Stack):
    from playwright.sync_api import expect

    ui_login(page, "reviewer")
    expect(page.get_by_role("navigation", name="Bereiche").get_by_role("link", name="Termine")).to_have_count(0)
    go_to(page, "Übersicht")  # the no-show count is a figure of every role's dashboard
    expect(page.get_by_test_id("figure-no-shows")).to_contain_text("Nicht erschienene Termine")
    expect(page.get_by_test_id("figure-no-shows").locator("dd")).to_have_text("0")
