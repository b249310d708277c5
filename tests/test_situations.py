"""Situation questions through a real stack (Rasa with the service resolver, actions, backend).

Each question must end with the right service answered, or offered among the buttons of a
choice, and never with a wrong service answered. Questions the catalogue has no service for get
no service at all. These questions were written for this test, not taken from the resolver's dev
set (tests/nlu/resolver_dev.yml) or the held-out NLU files.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from bot.launcher.processes import Stack

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

CHOICE_TEXTS = ("Meinen Sie eine dieser Leistungen?", "Dazu passen mehrere Leistungen. Welche meinen Sie?")


def button_services(message: dict[str, Any]) -> list[str]:
    services = []
    for button in message.get("buttons") or []:
        payload = button.get("payload", "")
        if "{" in payload:
            services.append(json.loads(payload[payload.index("{") :]).get("service"))
    return [s for s in services if s]


class Turn:
    def __init__(self, stack: Stack, sender: str, text: str) -> None:
        self.messages = stack.rasa_api().send(sender, text)
        self.texts = [m.get("text") or "" for m in self.messages]
        self.choice = next((m for m in self.messages if (m.get("text") or "") in CHOICE_TEXTS), None)
        # A service answer carries follow-up buttons (documents, fees, ...) for that service.
        answered = {s for m in self.messages if m is not self.choice for s in button_services(m)}
        self.slot = answered.pop() if len(answered) == 1 else None

    @property
    def offered(self) -> list[str]:
        return button_services(self.choice) if self.choice else []

    def __repr__(self) -> str:
        return f"Turn(texts={self.texts!r}, answered={self.slot!r}, offered={self.offered!r})"


def ask(stack: Stack, text: str) -> Turn:
    return Turn(stack, f"test:{uuid.uuid4().hex}", text)


def assert_right(turn: Turn, right: set[str]) -> None:
    if turn.choice is not None:
        assert right & set(turn.offered), turn
        assert turn.slot is None or turn.slot in right, turn  # a choice, never a wrong topic
    else:
        assert turn.slot in right, turn


# --- the three reported examples ----------------------------------------------------------------
def test_moving_is_not_a_goodbye(full_stack: Stack) -> None:
    turn = ask(full_stack, "Ich bin umgezogen und muss mich ummelden")
    assert not any("Auf Wiedersehen" in t for t in turn.texts), turn
    assert_right(turn, {"wohnsitz_anmeldung"})


def test_an_expired_id_card_is_not_a_case_status_question(full_stack: Stack) -> None:
    turn = ask(full_stack, "mein perso ist abgelaufen was nun")
    assert not any("Aktenzeichen" in t for t in turn.texts), turn
    assert_right(turn, {"personalausweis"})


def test_registering_a_car_does_not_fall_back(full_stack: Stack) -> None:
    turn = ask(full_stack, "Ich möchte mein Auto zulassen")
    assert not any("nicht sicher" in t or "nicht verstanden" in t for t in turn.texts), turn
    assert_right(turn, {"kfz_zulassung"})


# --- situations, needs, losses, colloquial and misspelt -------------------------------------------
# Misses stay listed (xfail) so the figure stays honest: 29 of 35 right on 2026-12-02, 33 of 35 on
# 2026-12-04 (catalogue in citizens' words, resolver re-tuned).
SITUATIONS: list[Any] = [
    pytest.param(
        "Wir ziehen zum Monatsersten in die Altstadt",
        {"wohnsitz_anmeldung"},
        marks=pytest.mark.xfail(
            reason="known miss: no catalogue phrase for 'ziehen in die …'; resolver says none", strict=False
        ),
    ),
    ("Umzug nach Musterstadt, was muss ich erledigen?", {"wohnsitz_anmeldung"}),
    ("hab ne neue wohnung, muss ich mich irgendwo melden", {"wohnsitz_anmeldung"}),
    pytest.param(
        "Ich ziehe für immer nach Spanien",
        {"wohnsitz_abmeldung"},
        marks=pytest.mark.xfail(
            reason="known miss: classified out_of_scope and the resolver is not sure enough to override", strict=False
        ),
    ),
    ("Meine Frau hat gestern unser zweites Kind zur Welt gebracht", {"geburtsanzeige", "geburtsurkunde"}),
    ("Wir wollen nächstes Jahr standesamtlich heiraten", {"eheschliessung"}),
    ("Mein Opa ist heute Nacht gestorben", {"sterbefallanzeige", "sterbeurkunde", "bestattung"}),
    ("Ich habe mir einen gebrauchten Golf gekauft", {"halterwechsel", "kfz_zulassung"}),
    ("Ich brauche Nummernschilder für mein neues Motorrad", {"kfz_zulassung", "wunschkennzeichen"}),
    ("Mein Personalausweis ist weg", {"verlustanzeige_ausweis", "personalausweis", "vorlaeufiger_personalausweis"}),
    ("Perso geklaut, was jetzt?", {"verlustanzeige_ausweis", "personalausweis", "vorlaeufiger_personalausweis"}),
    ("Mein Reisepass ist abgelaufen", {"reisepass"}),
    ("Ich brauche einen Reisepass für den Urlaub in Thailand", {"reisepass"}),
    # The catalogue's Hundesteuer-Ermäßigung names dogs from the shelter (since the 2026-12-04 catalogue).
    ("Wir haben einen Hund aus dem Tierheim geholt", {"hundesteuer", "hundesteuer_ermaessigung"}),
    ("Ich will mich mit einem Onlineshop selbstständig machen", {"gewerbeanmeldung"}),
    ("Ich mache meinen Laden zu", {"gewerbeabmeldung"}),
    ("Ich brauche ein Führungszeugnis für meinen neuen Job", {"fuehrungszeugnis"}),
    ("Ich brauche eine Meldebescheinigung", {"meldebescheinigung"}),
    ("Mein Führerschein wurde gestohlen", {"ersatzfuehrerschein"}),
    ("ich möchte meinen alten führerschein umtauschen", {"fuehrerschein"}),
    ("Am Wahlsonntag bin ich verreist", {"briefwahl"}),
    ("Ich möchte meine alte Couch und einen Schrank abholen lassen", {"sperrmuell"}),
    ("Ich habe im Bus ein Handy gefunden", {"fundsache"}),
    ("Meine Aufenthaltserlaubnis läuft bald ab", {"aufenthaltstitel"}),
    ("Ich möchte die deutsche Staatsbürgerschaft", {"einbuergerung"}),
    ("Meine Eltern aus der Türkei sollen mich besuchen, ich muss für sie bürgen", {"verpflichtungserklaerung"}),
    ("Mein Gehalt reicht nicht für die Miete", {"wohngeld"}),
    ("Ich will eine Garage auf mein Grundstück bauen", {"baugenehmigung"}),
    ("Zeugnis beglaubigen lassen", {"beglaubigung"}),
    ("Ich brauche eine Kopie meiner Geburtsurkunde", {"geburtsurkunde"}),
    ("Ich will mein Auto verschrotten lassen", {"ausserbetriebsetzung"}),
    ("Parkausweis für meine Straße beantragen", {"anwohnerparkausweis"}),
    ("personalausweiß beantragen", {"personalausweis"}),
    ("reisepas verlängern", {"reisepass"}),
    ("hundesteuer anmelden", {"hundesteuer"}),
]


def _id(case: Any) -> str:
    return str(case.values[0] if hasattr(case, "values") else case[0])


@pytest.mark.parametrize(("text", "right"), SITUATIONS, ids=[_id(case) for case in SITUATIONS])
def test_situation_reaches_the_right_service(full_stack: Stack, text: str, right: set[str]) -> None:
    assert_right(ask(full_stack, text), right)


OUTSIDE_THE_CATALOGUE = [
    "Ich möchte einen Angelschein machen",
    "Wo beantrage ich Kindergeld?",
    "Ich brauche einen Waffenschein",
    "Meine Steuererklärung ist fertig, wohin damit?",
]


@pytest.mark.parametrize("text", OUTSIDE_THE_CATALOGUE)
def test_no_service_is_invented(full_stack: Stack, text: str) -> None:
    turn = ask(full_stack, text)
    assert turn.slot is None, turn


def test_none_offers_the_search_page_and_a_person(full_stack: Stack) -> None:
    sender = f"test:{uuid.uuid4().hex}"
    messages = full_stack.rasa_api().send(sender, "/service_info")  # the citizen chose "Leistungen"
    assert messages
    turn = Turn(full_stack, sender, "Angelschein")
    joined = "\n".join(turn.texts)
    assert turn.slot is None, turn
    assert "musterstadt.de/suche?q=Angelschein" in joined or "nichts sagen" in joined, turn


def test_a_follow_up_after_a_situation_keeps_the_service(full_stack: Stack) -> None:
    sender = f"test:{uuid.uuid4().hex}"
    first = Turn(full_stack, sender, "Wir haben seit letzter Woche einen Hund")
    assert first.slot == "hundesteuer", first
    fees = Turn(full_stack, sender, "Und was kostet das?")
    assert fees.texts[0].startswith("Gebühr für Hundesteuer"), fees
    docs = Turn(full_stack, sender, "welche unterlagen brauche ich")
    assert "Hundesteuer" in docs.texts[0], docs


def test_a_choice_button_answers_the_chosen_service(full_stack: Stack) -> None:
    sender = f"test:{uuid.uuid4().hex}"
    turn = Turn(full_stack, sender, "Auto gekauft")
    assert turn.choice is not None and "kfz_zulassung" in turn.offered, turn
    payload = next(b["payload"] for b in turn.choice["buttons"] if "kfz_zulassung" in b["payload"])
    chosen = Turn(full_stack, sender, payload)
    assert chosen.slot == "kfz_zulassung" and chosen.texts[0].startswith("Kfz-Zulassung"), chosen
