"""Reading the catalogue files: good directories, broken ones (every problem names file and record),
and the shipped Musterstadt demo catalogue itself."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from bot.core.catalogue import CatalogueError
from bot.infra.catalogue_files import (
    catalogue_signature,
    default_catalogue_dir,
    load_catalogue,
    service_surface_forms,
)
from bot.infra.paths import DATA_DIR

REAL = DATA_DIR / "catalogue"

OFFICES = "offices:\n  - id: buergeramt\n    name: Bürgeramt\n"
PASS = """services:
  - id: reisepass
    leika: "99102003001000"
    name: Reisepass
    synonyms: [Pass]
    description: Ein Pass für Reisen.
    office: buergeramt
    appointment: required
"""
DOG = """services:
  - id: hundesteuer
    name: Hundesteuer
    synonyms: [Hundemarke]
    description: Steuer für Hunde.
    office: buergeramt
"""
EVENTS = """life_events:
  - id: hund
    name: Hund angeschafft
    phrases: [neuer Hund]
    services: [hundesteuer]
"""


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {"offices.yml": OFFICES, "services/ausweise.yml": PASS, "services/steuern.yml": DOG, "life_events.yml": EVENTS},
    )


def problems(directory: Path) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(directory)
    return caught.value.problems


def test_reads_every_topic_file_and_links_life_events(good: Path):
    catalogue = load_catalogue(good)
    assert [s.id for s in catalogue.services] == ["reisepass", "hundesteuer"]
    assert catalogue.service("hundesteuer").life_events == ("hund",)  # type: ignore[union-attr]
    assert service_surface_forms(good) == [
        ("reisepass", ("Reisepass", "Pass")),
        ("hundesteuer", ("Hundesteuer", "Hundemarke")),
    ]


def test_broken_yaml_names_file_and_line(good: Path):
    write(good, {"services/steuern.yml": "services:\n  - id: hundesteuer\n    name: [kaputt\n"})
    found = problems(good)
    assert len(found) == 1 and found[0].startswith("services/steuern.yml: kein gültiges YAML in Zeile")


def test_bad_records_name_file_and_record_all_at_once(good: Path):
    write(
        good,
        {"services/steuern.yml": DOG.replace("office: buergeramt", "office: mondamt").replace("Steuer für Hunde.", "")},
    )
    write(good, {"services/extra.yml": PASS})  # the same id in a second file
    write(good, {"life_events.yml": EVENTS + "  - id: x\n    name: X\n    services: [raumschiff]\n"})
    found = problems(good)
    assert "services/steuern.yml: Leistung 'hundesteuer': 'description' fehlt" in found
    assert any(p.startswith("services/extra.yml: Leistung 'reisepass': die id steht schon in services/") for p in found)


def test_reference_problems_name_the_file_of_the_record(good: Path):
    write(good, {"services/steuern.yml": DOG.replace("office: buergeramt", "office: mondamt")})
    write(good, {"life_events.yml": EVENTS.replace("[hundesteuer]", "[hundesteuer, raumschiff]")})
    assert problems(good) == [
        "services/steuern.yml: Leistung 'hundesteuer': unbekannte Dienststelle 'mondamt'",
        "life_events.yml: Lebenslage 'hund': unbekannte Leistung 'raumschiff'",
    ]


def test_missing_files_and_wrong_shapes_are_problems(tmp_path: Path):
    write(tmp_path, {"life_events.yml": "- nur eine Liste\n"})
    assert problems(tmp_path) == [
        "offices.yml: Datei fehlt",
        "services/: keine Leistungsdateien (*.yml) gefunden",
        "life_events.yml: erwartet eine Liste unter 'life_events:'",
    ]


def test_signature_changes_when_a_file_changes(good: Path):
    before = catalogue_signature(good)
    assert before == catalogue_signature(good)
    write(good, {"services/neu.yml": "services: []\n"})
    assert catalogue_signature(good) != before


def test_catalogue_dir_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("BUERGERBOT_CATALOGUE_DIR", raising=False)
    assert default_catalogue_dir() == REAL
    monkeypatch.setenv("BUERGERBOT_CATALOGUE_DIR", str(tmp_path))
    assert default_catalogue_dir() == tmp_path


# --- the shipped demo catalogue ------------------------------------------------------------------


def test_demo_catalogue_is_big_valid_and_marked_as_demo():
    catalogue = load_catalogue(REAL)  # every office, life event and service reference is valid
    assert len(catalogue.services) >= 150 and len(catalogue.life_events) >= 15
    assert all(s.demo and s.leika for s in catalogue.services)
    assert not [key for key, n in Counter(s.leika for s in catalogue.services).items() if n > 1]
    for path in [*sorted((REAL / "services").glob("*.yml")), REAL / "life_events.yml", REAL / "offices.yml"]:
        header = [line for line in path.read_text(encoding="utf-8").splitlines()[:3] if line.startswith("#")]
        assert "DEMO-DATEN" in " ".join(header), path


def test_every_demo_service_is_reachable_by_its_own_names():
    """Each service has names citizens use and situation words, and no name points to two services:
    a resolver can reach every service, and a name never leads to the wrong one."""
    catalogue = load_catalogue(REAL)
    assert [s.id for s in catalogue.services if not s.synonyms or not s.keywords] == []
    owners: dict[str, set[str]] = {}
    for service_id, forms in service_surface_forms(REAL):
        for form in forms:
            owners.setdefault(form.casefold(), set()).add(service_id)
    assert {form: ids for form, ids in owners.items() if len(ids) > 1} == {}


def test_the_life_events_the_issue_asks_for_are_there():
    names = " ".join(e.name for e in load_catalogue(REAL).life_events)
    topics = "Umzug Geburt Heirat Todesfall Auto_gekauft verloren Hund Selbstständig Gewerbe_aufgeben Bauen Rente"
    topics += " wenig_Geld Kita Schule Ausland Scheidung Wahl"
    for topic in (t.replace("_", " ") for t in topics.split()):
        assert topic in names, topic


def test_the_original_service_ids_stay_valid():
    ids = load_catalogue(REAL).ids()
    original = {
        "personalausweis", "vorlaeufiger_personalausweis", "reisepass", "wohnsitz_anmeldung", "wohnsitz_abmeldung",
        "meldebescheinigung", "fuehrungszeugnis", "briefwahl", "beglaubigung", "geburtsurkunde", "eheschliessung",
        "sterbeurkunde", "kfz_zulassung", "halterwechsel", "ausserbetriebsetzung", "fuehrerschein", "aufenthaltstitel",
        "verpflichtungserklaerung", "einbuergerung", "anwohnerparkausweis", "parkausweis_schwerbehinderte",
        "sperrmuell", "fundsache", "gewerbeanmeldung", "gewerbeabmeldung", "hundesteuer", "wohngeld", "baugenehmigung",
    }  # fmt: skip
    assert original <= ids


def test_a_copy_of_the_demo_catalogue_loads_from_anywhere(tmp_path: Path):
    copy = tmp_path / "katalog"
    shutil.copytree(REAL, copy)
    assert os.path.isdir(copy / "services") and len(load_catalogue(copy).services) >= 150
