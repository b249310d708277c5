"""data/catalogue/appointments.yml: read with the catalogue, every problem named, defaults without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.backend.appointments.config import APPOINTMENTS_FILE, read_calendar_config
from bot.backend.seed import read_catalogue_files
from bot.core.catalogue import CatalogueError
from bot.infra.catalogue_files import load_catalogue
from bot.infra.paths import DATA_DIR

from .conftest import write_catalogue


def test_the_shipped_file_is_valid():
    files = read_catalogue_files(DATA_DIR / "catalogue")
    assert files.calendars.counters["buergeramt"] >= 1
    assert all(minutes % 5 == 0 for minutes in files.calendars.minutes.values())


def test_without_the_file_every_office_has_one_counter_and_15_minutes(tmp_path: Path):
    directory = write_catalogue(tmp_path / "catalogue")
    (directory / APPOINTMENTS_FILE).unlink()
    config = read_catalogue_files(directory).calendars
    assert (dict(config.counters), dict(config.minutes), dict(config.also_at)) == ({}, {}, {})


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("offices: {nirgendwo: {counters: 2}}", "Dienststelle 'nirgendwo': unbekannte Dienststelle"),
        ("offices: {buergeramt: {counters: 0}}", "counters: erwartet eine ganze Zahl von 1 bis 50"),
        ("offices: {buergeramt: {schalter: 2}}", "unbekannte(s) Feld(er) schalter"),
        ("services: {reisepass: {minutes: 12}}", "ein Vielfaches von 5, nicht 12"),
        ("services: {raumschiff: {minutes: 15}}", "Leistung 'raumschiff': unbekannte Leistung"),
        ("services: {fundsache: {minutes: 15}}", "hat im Katalog 'appointment: none'"),
        ("services: {reisepass: {also_at: [mond]}}", "unbekannte Dienststelle(n) mond"),
        ("services: {reisepass: {also_at: buergeramt}}", "erwartet eine Liste"),
        ("termine: []", "unbekannte(r) Abschnitt(e) termine"),
        ("offices: [", "nicht lesbar"),
    ],
)
def test_problems_name_the_entry(tmp_path: Path, content: str, problem: str):
    directory = write_catalogue(tmp_path / "catalogue")
    (directory / APPOINTMENTS_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(CatalogueError) as error:
        read_catalogue_files(directory)
    assert any(problem in line and APPOINTMENTS_FILE in line for line in error.value.problems), error.value.problems


def test_also_at_adds_offices_and_drops_repeats(tmp_path: Path):
    directory = write_catalogue(tmp_path / "catalogue")
    (directory / APPOINTMENTS_FILE).write_text(
        "services: {personalausweis: {also_at: [buergeramt_nord, buergeramt_nord]}}", encoding="utf-8"
    )
    problems: list[str] = []
    config = read_calendar_config(directory, {"buergeramt", "buergeramt_nord"}, load_catalogue(directory), problems)
    assert problems == [] and config.also_at == {"personalausweis": ("buergeramt_nord",)}
