"""The staff console in a real browser (Debian's Chromium driven by Playwright) against the whole stack:
login, NLU inbox filters and relabelling, retraining with progress, role-based controls, dashboard,
audit log and axe-core accessibility checks. The pages keep their strict Content-Security-Policy."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from bot.launcher.processes import Stack
from tests.bot.staff.conftest import PASSWORDS, login
from tests.browser import axe_violations, chromium
from tests.conftest import API_HEADERS

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

RETRAIN_TIMEOUT_MS = 300_000  # training (fast config) plus an evaluation that loads two models

# Letters only: digits would let the redaction turn the token into [CODE].
TOKEN = "".join(random.choices("bcdfghjklmnpqrstvwxz", k=10))
TEXTS = {
    "fees": f"Was kostet ein Reisepass {TOKEN}?",
    "hours": f"Wann hat das Bürgeramt geöffnet {TOKEN}?",
    "unclear": f"Quokka Quokka Blubb {TOKEN}",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def seeded(console_stack: Stack) -> dict[str, dict]:
    """This module's own citizen messages (unique texts), as the inbox API lists them."""
    for number, text in enumerate(TEXTS.values()):
        response = httpx.post(
            f"{console_stack.gateway_url}/api/chat",
            json={"sender": f"konsole-{TOKEN}-{number}", "message": text},
            headers=API_HEADERS,
            timeout=60,
        )
        response.raise_for_status()
    client = login(console_stack.gateway_url, "admin")
    try:
        items = client.get("/staff/api/messages", params={"q": TOKEN}).json()["items"]
    finally:
        client.close()
    by_text = {item["text"]: item for item in items}
    assert set(by_text) == set(TEXTS.values()), by_text
    return {key: by_text[text] for key, text in TEXTS.items()}


@pytest.fixture
def new_page(browser, console_stack: Stack) -> Iterator[Callable[..., object]]:
    """Pages with the real CSP; page errors and CSP violations fail the test."""
    contexts, problems = [], []

    def make(width: int = 1280):
        context = browser.new_context(
            base_url=console_stack.gateway_url,
            locale="de-DE",
            timezone_id="Europe/Berlin",
            viewport={"width": width, "height": 900},
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on(
            "console",
            lambda msg: problems.append(f"console: {msg.text}") if "Content Security Policy" in msg.text else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == [], problems


def ui_login(page, name: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Passwort", exact=True).fill(PASSWORDS[name])
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r"/staff(#.*)?$"))
    from playwright.sync_api import expect

    expect(page.locator("#user-info")).to_contain_text(name)


def go_to(page, section: str) -> None:
    page.get_by_role("navigation", name="Bereiche").get_by_role("link", name=section).click()
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", level=1)).to_have_text(section)


def inbox_texts(page) -> list[str]:
    return page.locator("#inbox-rows td.message-text").all_inner_texts()


def test_login_page(new_page, console_stack: Stack):
    from playwright.sync_api import expect

    page = new_page()
    page.goto("/staff")
    page.wait_for_url(re.compile(r"/staff/login$"))  # no session: back to the login page
    assert page.get_attribute("html", "lang") == "de"
    assert axe_violations(page) == []

    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_have_text("Bitte geben Sie Ihren Namen ein.")
    # An unknown name, so that no real account gets closer to its lockout.
    page.get_by_label("Name", exact=True).fill("niemand")
    page.get_by_label("Passwort", exact=True).fill("falsches-Passwort")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_have_text("Anmeldung fehlgeschlagen: Name oder Passwort ist falsch.")
    assert page.url.endswith("/staff/login")
    assert axe_violations(page) == []


def test_inbox_filter_and_relabel(new_page, seeded, admin: httpx.Client):
    from playwright.sync_api import expect

    page = new_page()
    ui_login(page, "admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Posteingang")
    expect(page.locator("nav a[aria-current=page]")).to_have_text("Posteingang")

    # Text search: exactly this module's three messages, rendered as text.
    page.get_by_label("Text enthält").fill(TOKEN)
    page.get_by_role("button", name="Filtern").click()
    expect(page.locator("#inbox-rows tr")).to_have_count(3)
    assert sorted(inbox_texts(page)) == sorted(TEXTS.values())
    expect(page.locator("#status")).to_contain_text("3 Nachrichten angezeigt")
    unclear = page.locator("#inbox-rows tr", has_text=TEXTS["unclear"])
    expect(unclear.locator(".status-cell")).to_have_text("offen")
    expect(unclear).to_contain_text("API")

    # "Nicht verstanden" shows what the API counts as not understood, and nothing else.
    fallback = admin.get("/staff/api/messages", params={"q": TOKEN, "fallback": True}).json()["items"]
    page.get_by_label("Nicht verstanden").check()
    page.get_by_role("button", name="Filtern").click()
    if fallback:
        expect(page.locator("#inbox-rows td.message-text")).to_have_count(len(fallback))
        assert sorted(inbox_texts(page)) == sorted(i["text"] for i in fallback)
    else:
        expect(page.locator("#inbox-rows")).to_contain_text("Keine Nachrichten")
    page.get_by_label("Nicht verstanden").uncheck()
    page.get_by_label("Geprüft").select_option("false")
    page.get_by_role("button", name="Filtern").click()
    expect(page.locator("#inbox-rows tr")).to_have_count(3)

    # Relabel the unclear message through the row's own controls.
    row = page.locator("#inbox-rows tr", has_text=TEXTS["unclear"])
    row.get_by_label("Richtige Absicht").select_option("out_of_scope")
    row.get_by_label(re.compile("^Entitäten")).fill("")
    row.get_by_role("button", name="Korrigieren").click()
    expect(row.locator(".status-cell")).to_have_text("korrigiert: out_of_scope")
    expect(page.locator("#status")).to_have_text("Nachricht korrigiert: out_of_scope.")
    expect(page.locator("#alert")).to_be_empty()
    stored = {i["text"]: i for i in admin.get("/staff/api/messages", params={"q": TOKEN}).json()["items"]}
    review = stored[TEXTS["unclear"]]["review"]
    assert (review["status"], review["intent"], review["reviewer"]) == ("corrected", "out_of_scope", "admin")
    assert stored[TEXTS["fees"]]["review"] is None

    # An invalid correction: the API's German error is shown in the alert region, nothing is stored.
    row = page.locator("#inbox-rows tr", has_text=TEXTS["fees"])
    row.get_by_label("Richtige Absicht").select_option("ask_fees")
    row.get_by_label(re.compile("^Entitäten")).fill("service=Führerschein")
    row.get_by_role("button", name="Korrigieren").click()
    expect(page.get_by_role("alert")).to_contain_text("steht nicht in der Nachricht")
    expect(row.locator(".status-cell")).to_have_text("offen")

    # Markup a citizen might type is never interpreted.
    assert page.locator("#inbox-rows script, #inbox-rows img, #inbox-rows b").count() == 0
    assert axe_violations(page) == []


def test_inbox_reflows_at_320_px(new_page, seeded):
    from playwright.sync_api import expect

    page = new_page(width=320)
    ui_login(page, "reviewer")
    page.get_by_label("Text enthält").fill(TOKEN)
    page.get_by_role("button", name="Filtern").click()
    expect(page.locator("#inbox-rows tr")).to_have_count(3)
    # The page itself does not scroll sideways; the table scrolls inside its labelled region.
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    region = page.get_by_role("region", name="Nachrichten, neueste zuerst")
    assert region.get_attribute("tabindex") == "0"


def test_retrain_from_the_console(new_page, seeded, admin: httpx.Client):
    from playwright.sync_api import expect

    page = new_page()
    ui_login(page, "admin")
    go_to(page, "Training & Modelle")
    expect(page.locator("#models-rows tr").first).to_be_visible()
    # Other tests share the stack: start only when no training runs (the console would follow theirs).
    deadline = time.monotonic() + RETRAIN_TIMEOUT_MS / 1000
    while any(j["status"] == "running" for j in admin.get("/staff/api/jobs").json()):
        assert time.monotonic() < deadline, "another test's training never finished"
        time.sleep(2)

    page.get_by_role("button", name="Neu trainieren").click()
    progress = page.locator("progress#job-progress")
    expect(progress).to_be_visible()
    assert progress.get_attribute("max") == "100"
    expect(page.get_by_label("Fortschritt des Trainings")).to_be_visible()
    expect(page.locator("#job-stage")).to_contain_text("Schritt: ")
    expect(page.locator("#job-percent")).to_contain_text(" %")
    expect(page.get_by_role("button", name="Neu trainieren")).to_be_disabled()
    job_id = admin.get("/staff/api/jobs").json()[0]["id"]

    # A second console opened meanwhile picks up the running job (unless it has finished already).
    other = new_page()
    ui_login(other, "admin")
    go_to(other, "Training & Modelle")
    while not other.locator("#job").is_visible():
        if admin.get(f"/staff/api/jobs/{job_id}").json()["status"] != "running":
            break
        other.wait_for_timeout(500)
    else:
        expect(other.locator("#job-stage")).to_contain_text("Schritt: ")
        expect(other.get_by_role("button", name="Neu trainieren")).to_be_disabled()

    expect(page.locator("#job-result")).to_contain_text(
        re.compile("Training (fertig|fehlgeschlagen)"), timeout=RETRAIN_TIMEOUT_MS
    )
    expect(page.locator("#job-result")).to_contain_text("Training fertig")
    expect(page.locator("#job-percent")).to_have_text("100 %")
    expect(page.locator("#job-stage")).to_have_text("Schritt: Fertig")
    expect(page.get_by_role("button", name="Neu trainieren")).to_be_enabled()

    job = admin.get(f"/staff/api/jobs/{job_id}").json()
    assert job["status"] == "succeeded", job
    name = job["result"]["model"]
    assert name in page.locator("#job-result").inner_text()
    row = page.locator("#models-rows tr", has=page.locator("th", has_text=name))
    expect(row).to_have_count(1)
    model = next(m for m in admin.get("/staff/api/models").json()["models"] if m["name"] == name)
    if model["status"] == "candidate":
        expect(row.get_by_role("button", name="Übernehmen")).to_be_visible()
    expect(row.locator("td").nth(2)).to_contain_text("%")  # held-out accuracy, live / candidate

    # Details: per-intent table, confusion matrix and changed predictions.
    row.get_by_role("button", name="Details").click()
    panel = page.locator("#model-details")
    expect(panel.get_by_role("heading", name=f"Details: {name}")).to_be_focused()
    expect(panel.get_by_role("row", name=re.compile("^ask_fees"))).to_have_count(1)
    picture = panel.get_by_role("img", name=re.compile("Konfusionsmatrix"))
    expect(picture).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    expect(panel).to_contain_text("Geänderte Vorhersagen")
    assert axe_violations(page) == []


def test_reviewer_sees_no_admin_controls(new_page, seeded, admin: httpx.Client):
    from playwright.sync_api import expect

    page = new_page()
    ui_login(page, "reviewer")
    expect(page.locator("#user-info")).to_contain_text("Prüfung")
    expect(page.get_by_role("link", name="Protokoll")).to_be_hidden()
    go_to(page, "Training & Modelle")
    models = admin.get("/staff/api/models").json()["models"]
    expect(page.locator("#models-rows tr")).to_have_count(len(models))
    expect(page.get_by_role("button", name="Übernehmen")).to_have_count(0)
    expect(page.get_by_role("button", name="Zurück zum vorherigen Modell")).to_be_hidden()

    # The admin sees them (at least the rollback; "Übernehmen" for each candidate).
    admin_page = new_page()
    ui_login(admin_page, "admin")
    go_to(admin_page, "Training & Modelle")
    expect(admin_page.locator("#models-rows tr")).to_have_count(len(models))
    expect(admin_page.get_by_role("button", name="Zurück zum vorherigen Modell")).to_be_visible()
    candidates = [m for m in models if m["status"] == "candidate"]
    expect(admin_page.get_by_role("button", name="Übernehmen")).to_have_count(len(candidates))


def test_dashboard_and_audit_log(new_page, seeded):
    from playwright.sync_api import expect

    page = new_page()
    ui_login(page, "admin")
    # Keyboard only: Tab to the navigation link, Enter; focus moves to the section's heading.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Übersicht":
            break
    else:
        pytest.fail("the navigation cannot be reached with the Tab key")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Übersicht")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(page.get_by_role("link", name="Übersicht")).to_have_attribute("aria-current", "page")
    figures = page.locator("#figures")
    expect(figures).to_contain_text("Nachrichten")
    expect(figures).to_contain_text("Anteil nicht verstanden")
    page.get_by_label("Zeitraum").select_option("7")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.locator("#status")).to_have_text("Übersicht für die letzten 7 Tage geladen.")
    charts = page.locator("img.chart-img")
    expect(charts).to_have_count(3)
    for index in range(3):
        chart = charts.nth(index)
        assert "days=7" in chart.get_attribute("src")
        assert len(chart.get_attribute("alt")) > 30
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    page.locator("#chart-intents summary").click()
    expect(page.get_by_role("region", name="Häufigste Absichten").get_by_role("row").nth(1)).to_be_visible()
    assert axe_violations(page) == []

    go_to(page, "Protokoll")
    expect(page.locator("#audit-rows")).to_contain_text("Anmeldung")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r"/staff/login$"))
    page.goto("/staff")
    page.wait_for_url(re.compile(r"/staff/login$"))
