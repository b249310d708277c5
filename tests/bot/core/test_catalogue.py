"""Validation and linking of catalogue records (pure: plain dicts in, records or every problem out)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.catalogue import CatalogueError, parse_catalogue, surface_forms


def service(**fields: Any) -> dict[str, Any]:
    return {
        "id": "reisepass",
        "name": "Reisepass",
        "description": "Ein Pass für Reisen.",
        "office": "buergeramt",
        "leika": "99102003001000",
        "synonyms": ["Pass"],
        "appointment": "required",
        **fields,
    }


def problems_of(services: list[Any], life_events: list[Any] = (), offices: list[str] | None = None) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(services, life_events, offices)
    return caught.value.problems


def test_a_good_record_becomes_an_entry():
    catalogue = parse_catalogue([service(forms=[{"title": "Antrag", "url": "https://example.org/a.pdf"}])])
    entry = catalogue.service("reisepass")
    assert entry is not None and entry.appointment_required and entry.forms[0].title == "Antrag"
    assert catalogue.ids() == {"reisepass"}


def test_every_bad_field_is_named_with_its_record():
    problems = problems_of(
        [
            service(leika="123", online_url="http://unsicher.example", appointment="maybe", colour="blau"),
            service(id="Bad Id", name=""),
            "kein Datensatz",
        ]
    )
    joined = "\n".join(problems)
    assert "Leistung 'reisepass': 'leika' muss ein 14-stelliger Schlüssel" in joined
    assert "Leistung 'reisepass': 'online_url' muss ein https://-Link" in joined
    assert "Leistung 'reisepass': 'appointment' muss einer der Werte" in joined
    assert "Leistung 'reisepass': unbekannte(s) Feld(er) colour" in joined
    assert "Leistung 'Bad Id': 'id' muss" in joined and "Leistung 'Bad Id': 'name' fehlt" in joined
    assert "Leistung Nr. 3: muss eine Zuordnung" in joined


def test_lists_must_hold_texts_and_forms_need_https():
    problems = problems_of([service(keywords=["ok", 67], forms=[{"title": "A", "url": "ftp://x"}])])
    assert any("'keywords' muss eine Liste nicht leerer Texte sein" in p for p in problems)
    assert any("Formular Nr. 1 braucht" in p for p in problems)


def test_references_are_checked_both_ways():
    problems = problems_of(
        [service(life_events=["heirat"]), service(id="reisepass", office="mondamt")],
        [{"id": "umzug", "name": "Umzug", "phrases": ["neue Wohnung"], "services": ["raumschiff"]}],
        offices=["buergeramt"],
    )
    assert "Leistung 'reisepass': die id ist doppelt vergeben" in problems
    assert "Leistung 'reisepass': unbekannte Dienststelle 'mondamt'" in problems
    assert "Leistung 'reisepass': unbekannte Lebenslage 'heirat'" in problems
    assert "Lebenslage 'umzug': unbekannte Leistung 'raumschiff'" in problems


def test_life_events_need_services_and_unique_ids():
    event = {"id": "umzug", "name": "Umzug", "phrases": [], "services": ["reisepass"]}
    problems = problems_of([service()], [event, event, {**event, "id": "leer", "services": []}])
    assert "Lebenslage 'leer': 'services' muss mindestens eine Leistung nennen" in problems
    assert "Lebenslage 'umzug': die id ist doppelt vergeben" in problems


def test_links_are_made_both_ways():
    catalogue = parse_catalogue(
        [service(life_events=["urlaub"]), service(id="kinderreisepass", name="Kinderreisepass", synonyms=[])],
        [
            {"id": "urlaub", "name": "Urlaub", "phrases": ["Reise"], "services": ["kinderreisepass"]},
        ],
    )
    assert catalogue.life_events[0].services == ("kinderreisepass", "reisepass")  # its own first
    assert catalogue.service("kinderreisepass").life_events == ("urlaub",)  # type: ignore[union-attr]


def test_surface_forms_are_name_and_synonyms_without_repeats():
    catalogue = parse_catalogue([service(synonyms=["Pass", "reisepass", "Reisepässe"], keywords=["Urlaub"])])
    assert surface_forms(catalogue) == [("reisepass", ("Reisepass", "Pass", "Reisepässe"))]
