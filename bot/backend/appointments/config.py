"""The calendar settings in data/catalogue/appointments.yml, and writing them to the calendar tables.

    offices:
      buergeramt: {counters: 4}             # parallel counters; default 1
    services:
      reisepass: {minutes: 20}              # length of one appointment, a multiple of 5; default 15
      personalausweis: {also_at: [buergeramt_nord]}   # further offices that give appointments for it

The file is optional. Which services take appointments comes from the catalogue (`appointment:
required | recommended`; `none` takes none); each is given at its catalogue office and the `also_at`
offices. The file is read with the catalogue (start-up and reload), its problems (German, naming
the entry) join the catalogue's, and a catalogue with any problem changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from bot.core.appointment_slots import DEFAULT_COUNTERS, DEFAULT_MINUTES, GRID_MINUTES
from bot.core.catalogue import Catalogue

from .tables import CalendarRecord, OfficeServiceRecord

APPOINTMENTS_FILE = "appointments.yml"
MAX_COUNTERS = 50
MAX_MINUTES = 480


@dataclass(frozen=True)
class CalendarConfig:
    counters: Mapping[str, int] = field(default_factory=dict)  # office id -> counters
    minutes: Mapping[str, int] = field(default_factory=dict)  # service id -> minutes
    also_at: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # service id -> further offices


def _mapping(value: object, where: str, problems: list[str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(f"{where}: erwartet eine Zuordnung (id: {{...}})")
        return {}
    return value


def _number(value: object, where: str, low: int, high: int, problems: list[str], step: int = 1) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high or value % step:
        extra = f", ein Vielfaches von {step}" if step > 1 else ""
        problems.append(f"{where}: erwartet eine ganze Zahl von {low} bis {high}{extra}, nicht {value!r}")
        return None
    return value


def read_calendar_config(
    catalogue_dir: Path, office_ids: set[str], catalogue: Catalogue | None, problems: list[str]
) -> CalendarConfig:
    """appointments.yml of `catalogue_dir` (an empty config when there is none); appends problems."""
    path = catalogue_dir / APPOINTMENTS_FILE
    if not path.exists():
        return CalendarConfig()
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{APPOINTMENTS_FILE}: nicht lesbar ({exc})")
        return CalendarConfig()
    top = _mapping(content, APPOINTMENTS_FILE, problems)
    unknown = set(top) - {"offices", "services"}
    if unknown:
        problems.append(f"{APPOINTMENTS_FILE}: unbekannte(r) Abschnitt(e) {', '.join(sorted(map(str, unknown)))}")
    counters: dict[str, int] = {}
    for office_id, entry in _mapping(top.get("offices"), f"{APPOINTMENTS_FILE}: offices", problems).items():
        where = f"{APPOINTMENTS_FILE}: Dienststelle {office_id!r}"
        if office_id not in office_ids:
            problems.append(f"{where}: unbekannte Dienststelle")
            continue
        values = _mapping(entry, where, problems)
        if set(values) - {"counters"}:
            problems.append(
                f"{where}: unbekannte(s) Feld(er) {', '.join(sorted(map(str, set(values) - {'counters'})))}"
            )
        if "counters" in values and (n := _number(values["counters"], f"{where}, counters", 1, MAX_COUNTERS, problems)):
            counters[str(office_id)] = n
    minutes: dict[str, int] = {}
    also_at: dict[str, tuple[str, ...]] = {}
    for service_id, entry in _mapping(top.get("services"), f"{APPOINTMENTS_FILE}: services", problems).items():
        where = f"{APPOINTMENTS_FILE}: Leistung {service_id!r}"
        service = catalogue.service(str(service_id)) if catalogue is not None else None
        if catalogue is not None and service is None:
            problems.append(f"{where}: unbekannte Leistung")
            continue
        if service is not None and service.appointment == "none":
            problems.append(f"{where}: die Leistung hat im Katalog 'appointment: none'")
        values = _mapping(entry, where, problems)
        if set(values) - {"minutes", "also_at"}:
            extra = set(values) - {"minutes", "also_at"}
            problems.append(f"{where}: unbekannte(s) Feld(er) {', '.join(sorted(map(str, extra)))}")
        if "minutes" in values:
            n = _number(values["minutes"], f"{where}, minutes", GRID_MINUTES, MAX_MINUTES, problems, GRID_MINUTES)
            if n:
                minutes[str(service_id)] = n
        if "also_at" in values:
            offices = values["also_at"]
            if not isinstance(offices, list) or not all(isinstance(o, str) for o in offices):
                problems.append(f"{where}, also_at: erwartet eine Liste von Dienststellen-ids")
                continue
            missing = [o for o in offices if o not in office_ids]
            if missing:
                problems.append(f"{where}, also_at: unbekannte Dienststelle(n) {', '.join(missing)}")
            also_at[str(service_id)] = tuple(dict.fromkeys(o for o in offices if o in office_ids))
    return CalendarConfig(counters, minutes, also_at)


def apply_calendars(session: Session, office_ids: set[str], catalogue: Catalogue, config: CalendarConfig) -> None:
    """Make the calendar tables those of the catalogue and `config` (inside the caller's transaction)."""
    session.execute(sa.delete(CalendarRecord))
    session.execute(sa.delete(OfficeServiceRecord))
    for office_id in sorted(office_ids):
        session.add(CalendarRecord(office_id=office_id, counters=config.counters.get(office_id, DEFAULT_COUNTERS)))
    for service in catalogue.services:
        if service.appointment == "none":
            continue
        length = config.minutes.get(service.id, DEFAULT_MINUTES)
        for office_id in dict.fromkeys((service.office, *config.also_at.get(service.id, ()))):
            session.add(OfficeServiceRecord(service_id=service.id, office_id=office_id, minutes=length))
    session.flush()
