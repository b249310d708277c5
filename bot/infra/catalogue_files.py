"""Reads the service catalogue from its YAML files (format: docs/catalogue.md).

    <directory>/offices.yml        offices: [...]            (only the ids are read here)
    <directory>/services/*.yml     services: [...]           one file per topic
    <directory>/life_events.yml    life_events: [...]

Every problem (broken YAML, a bad field, an unknown reference) ends up in one `CatalogueError`
whose lines name the file and the record, so an editor fixes everything in one pass. Nothing is
read at import time; `catalogue_signature` tells callers cheaply whether the files changed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.core.catalogue import (
    Catalogue,
    CatalogueError,
    parse_catalogue,
    parse_life_event,
    parse_service,
    surface_forms,
)
from bot.infra.paths import DATA_DIR

logger = logging.getLogger(__name__)

CATALOGUE_DIR_ENV = "BUERGERBOT_CATALOGUE_DIR"
OFFICES_FILE = "offices.yml"
SERVICES_DIR = "services"
LIFE_EVENTS_FILE = "life_events.yml"


def default_catalogue_dir() -> Path:
    """`BUERGERBOT_CATALOGUE_DIR`, or data/catalogue in the repository."""
    configured = os.environ.get(CATALOGUE_DIR_ENV, "").strip()
    return Path(configured) if configured else DATA_DIR / "catalogue"


def catalogue_files(directory: Path) -> list[Path]:
    """The files the catalogue is read from, in reading order."""
    return [
        directory / OFFICES_FILE,
        *sorted((directory / SERVICES_DIR).glob("*.yml")),
        directory / LIFE_EVENTS_FILE,
    ]


def catalogue_signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, size, mtime in ns) of every catalogue file: changes whenever a file is edited, added
    or removed, without reading any of them (for indexes that rebuild when the catalogue changes)."""
    signature = []
    for path in catalogue_files(directory):
        try:
            stat = path.stat()
        except OSError:
            continue
        signature.append((str(path.relative_to(directory)), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def _read_list(path: Path, top_key: str, directory: Path, problems: list[str]) -> list[Any]:
    name = str(path.relative_to(directory))
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{name}: Datei fehlt")
        return []
    except OSError as exc:
        problems.append(f"{name}: nicht lesbar ({exc.strerror or exc})")
        return []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" in Zeile {mark.line + 1}, Spalte {mark.column + 1}" if mark is not None else ""
        problems.append(f"{name}: kein gültiges YAML{where} ({getattr(exc, 'problem', None) or exc})")
        return []
    if not isinstance(content, Mapping) or not isinstance(content.get(top_key), list):
        problems.append(f"{name}: erwartet eine Liste unter '{top_key}:'")
        return []
    items: list[Any] = content[top_key]
    return items


def read_office_ids(directory: Path, problems: list[str] | None = None) -> list[str]:
    collected: list[str] = [] if problems is None else problems
    offices = _read_list(directory / OFFICES_FILE, "offices", directory, collected)
    ids = [str(o["id"]) for o in offices if isinstance(o, Mapping) and o.get("id")]
    if problems is None and collected:
        raise CatalogueError(collected)
    return ids


def load_catalogue(directory: Path) -> Catalogue:
    """Read, validate and link the catalogue under `directory`; raise one `CatalogueError` listing
    every problem as "<file>: <record>: <problem>"."""
    problems: list[str] = []
    office_ids = read_office_ids(directory, problems)
    service_files = sorted((directory / SERVICES_DIR).glob("*.yml"))
    if not service_files:
        problems.append(f"{SERVICES_DIR}/: keine Leistungsdateien (*.yml) gefunden")
    services: list[Mapping[str, Any]] = []
    file_of: dict[str, str] = {}  # service or life event id -> file, to name it in reference problems
    for path in service_files:
        name = str(path.relative_to(directory))
        for index, raw in enumerate(_read_list(path, "services", directory, problems)):
            local: list[str] = []
            if not isinstance(raw, Mapping):
                local.append(f"Leistung Nr. {index + 1}: muss eine Zuordnung von Feldern sein (feld: wert)")
            else:
                parse_service(raw, index, local)
                if isinstance(raw.get("id"), str):
                    first = file_of.setdefault(f"Leistung {raw['id']!r}", name)
                    if first != name:
                        local.append(f"Leistung {raw['id']!r}: die id steht schon in {first}")
                services.append(raw)
            problems.extend(f"{name}: {p}" for p in local)
    life_events: list[Mapping[str, Any]] = []
    for index, raw in enumerate(_read_list(directory / LIFE_EVENTS_FILE, "life_events", directory, problems)):
        local = []
        if not isinstance(raw, Mapping):
            local.append(f"Lebenslage Nr. {index + 1}: muss eine Zuordnung von Feldern sein (feld: wert)")
        else:
            parse_life_event(raw, index, local)
            if isinstance(raw.get("id"), str):
                file_of.setdefault(f"Lebenslage {raw['id']!r}", LIFE_EVENTS_FILE)
            life_events.append(raw)
        problems.extend(f"{LIFE_EVENTS_FILE}: {p}" for p in local)
    if problems:
        raise CatalogueError(problems)
    try:  # every record is fine on its own: what is left are the references between them
        catalogue = parse_catalogue(services, life_events, office_ids)
    except CatalogueError as error:
        raise CatalogueError([_locate(p, file_of) for p in error.problems]) from error
    logger.info(
        "catalogue read from %s: %d services, %d life events",
        directory,
        len(catalogue.services),
        len(catalogue.life_events),
    )
    return catalogue


def _locate(problem: str, file_of: Mapping[str, str]) -> str:
    """Prefix a problem naming "Leistung 'x'" or "Lebenslage 'y'" with the file of that record."""
    record = problem.split(":", 1)[0]
    file = file_of.get(record)
    return f"{file}: {problem}" if file else problem


def service_surface_forms(directory: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(service id, name and synonyms) pairs of the catalogue under `directory`, for the gazetteer
    and the resolver: the entity values and the words that mention them."""
    return surface_forms(load_catalogue(directory))
