"""Office answers with an in-memory backend: opening hours, public holidays, location, choices."""

from datetime import date, datetime

import pytest

from actions.offices import ActionAnswerOffice
from tests.actions.conftest import run_action
from tests.actions.fakes import BERLIN, FakeBackend

pytestmark = pytest.mark.anyio

MAY_DAY = {date(2026, 5, 1): "Erster Mai"}
CHRISTMAS = {date(2026, 12, 25): "Erster Weihnachtstag", date(2026, 12, 26): "Zweiter Weihnachtstag"}


async def run(tracker, domain, backend=None):
    return await run_action(ActionAnswerOffice(backend=backend or FakeBackend()), tracker, domain)


def opening_hours_question(make_tracker, office="buergeramt"):
    return make_tracker("Wann hat das Amt geöffnet?", "ask_opening_hours", {"office": office})


async def test_opening_hours_say_whether_open_now(make_tracker, domain):
    messages, slots = await run(
        make_tracker("Wann hat das Standesamt offen?", "ask_opening_hours", {"office": "standesamt"}), domain
    )
    text = messages[0]["text"]
    assert ("jetzt geöffnet" in text or "gerade geschlossen" in text) and "Montag:" in text
    assert slots["office"] == "standesamt"
    assert text.startswith("Standesamt Musterstadt ist jetzt geöffnet, heute bis 12:00 Uhr.")  # Monday 9:30
    assert messages[0]["buttons"][0]["payload"] == '/ask_office_location{"office": "standesamt"}'


async def test_closed_in_the_evening_names_the_next_opening(make_tracker, domain):
    backend = FakeBackend(now=datetime(2026, 11, 24, 17, 0, tzinfo=BERLIN))  # Tuesday evening
    messages, _ = await run(opening_hours_question(make_tracker, "standesamt"), domain, backend)
    assert "ist gerade geschlossen. Es öffnet wieder am Donnerstag, 26. November, um 08:30 Uhr." in messages[0]["text"]


async def test_on_a_public_holiday_every_office_is_closed(make_tracker, domain):
    backend = FakeBackend(now=datetime(2026, 5, 1, 10, 0, tzinfo=BERLIN), closed_days=MAY_DAY)
    messages, slots = await run(opening_hours_question(make_tracker), domain, backend)
    text = messages[0]["text"]
    assert text.startswith(
        "Heute (Freitag, 1. Mai) ist Feiertag (Erster Mai): alle Ämter sind geschlossen. "
        "Bürgeramt Mitte öffnet wieder morgen um 09:00 Uhr."
    )
    assert "jetzt geöffnet" not in text and "Achtung" not in text  # today's holiday is said once
    assert slots["office"] == "buergeramt"


async def test_week_answer_before_may_day_names_the_closed_day(make_tracker, domain):
    backend = FakeBackend(now=datetime(2026, 4, 29, 10, 0, tzinfo=BERLIN), closed_days=MAY_DAY)  # Wednesday
    messages, _ = await run(opening_hours_question(make_tracker), domain, backend)
    text = messages[0]["text"]
    assert "Bürgeramt Mitte ist jetzt geöffnet" in text and "Freitag: 07:30–12:00 Uhr" in text
    assert text.endswith("Achtung: Am Freitag, 1. Mai, ist Feiertag (Erster Mai), das Amt ist dann geschlossen.")


async def test_week_answer_after_the_holiday_says_it_was_closed(make_tracker, domain):
    backend = FakeBackend(now=datetime(2026, 5, 2, 9, 30, tzinfo=BERLIN), closed_days=MAY_DAY)  # Saturday
    messages, _ = await run(opening_hours_question(make_tracker), domain, backend)
    assert "Hinweis: Am Freitag, 1. Mai, war Feiertag (Erster Mai), das Amt war geschlossen." in messages[0]["text"]


async def test_christmas_week_names_both_holidays(make_tracker, domain):
    backend = FakeBackend(now=datetime(2026, 12, 23, 10, 0, tzinfo=BERLIN), closed_days=CHRISTMAS)
    messages, _ = await run(opening_hours_question(make_tracker), domain, backend)
    text = messages[0]["text"]
    assert "Achtung: Am Freitag, 25. Dezember, ist Feiertag (Erster Weihnachtstag)" in text
    assert "Achtung: Am Samstag, 26. Dezember, ist Feiertag (Zweiter Weihnachtstag)" in text


async def test_on_christmas_the_next_opening_skips_the_second_holiday(make_tracker, domain):
    backend = FakeBackend(now=datetime(2026, 12, 25, 10, 0, tzinfo=BERLIN), closed_days=CHRISTMAS)
    messages, _ = await run(opening_hours_question(make_tracker), domain, backend)
    text = messages[0]["text"]
    assert text.startswith("Heute (Freitag, 25. Dezember) ist Feiertag (Erster Weihnachtstag)")
    assert "öffnet wieder am Montag, 28. Dezember, um 07:30 Uhr." in text
    assert "Achtung: Am Samstag, 26. Dezember, ist Feiertag (Zweiter Weihnachtstag)" in text


async def test_office_of_the_service_in_the_conversation(make_tracker, domain):
    messages, _ = await run(
        make_tracker("Wo muss ich hin?", "ask_office_location", slots={"service": "kfz_zulassung"}), domain
    )
    assert (
        "Kfz" in messages[0]["text"] and "Telefon:" in messages[0]["text"] and "Barrierefreiheit" in messages[0]["text"]
    )


async def test_unknown_office_asks_with_buttons(make_tracker, domain):
    messages, slots = await run(make_tracker("Wann habt ihr offen?", "ask_opening_hours"), domain)
    assert len(messages[0]["buttons"]) == 16 and slots == {"pending_intent": "ask_opening_hours"}


async def test_office_unknown_to_the_backend_clears_the_slot(make_tracker, domain):
    messages, slots = await run(make_tracker("Mondamt?", "ask_opening_hours", {"office": "mondamt"}), domain)
    assert "kenne ich leider nicht" in messages[0]["text"] and slots == {"office": None}


async def test_backend_down_gives_a_friendly_answer(make_tracker, domain):
    messages, slots = await run(opening_hours_question(make_tracker), domain, FakeBackend(unavailable=True))
    assert "nicht erreichbar" in messages[0]["text"] and slots == {}
