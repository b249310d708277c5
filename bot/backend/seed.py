"""Load the catalogue, offices and demo cases from the readable YAML files in data/catalogue/.

The catalogue (offices, services/*.yml, life_events.yml) is read and validated by
`bot.infra.catalogue_files.load_catalogue`, then written in one transaction by `apply_catalogue`:
at start-up (`seed`) and when staff reload it (`reload_catalogue`, POST /api/catalogue/reload).
A catalogue with any problem changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.backend.errors import SeedDataError
from bot.core.catalogue import Catalogue, CatalogueError, ServiceEntry
from bot.core.opening_hours import parse_week
from bot.infra.catalogue_files import OFFICES_FILE, load_catalogue

from .appointments.config import CalendarConfig, apply_calendars, read_calendar_config
from .cases import STATUS_LABELS
from .security import hash_access_code
from .tables import CaseEventRecord, CaseRecord, LifeEventRecord, OfficeRecord, ServiceRecord

logger = logging.getLogger(__name__)

OFFICE_KEYS = (
    "id",
    "name",
    "street",
    "postal_code",
    "city",
    "phone",
    "email",
    "opening_hours",
    "accessibility",
    "transport",
)
CASE_KEYS = ("case_number", "service", "access_code", "status", "next_step", "history")


@dataclass(frozen=True)
class CatalogueFiles:
    """The validated contents of a catalogue directory, ready to be written."""

    offices: list[dict[str, Any]]
    catalogue: Catalogue
    calendars: CalendarConfig = field(default_factory=CalendarConfig)  # appointments.yml


@dataclass(frozen=True)
class ReloadSummary:
    offices: int
    services: int
    life_events: int
    added: list[str] = field(default_factory=list)  # service ids
    removed: list[str] = field(default_factory=list)


def upgrade_schema(engine: Engine) -> None:
    """Add the columns that tables.py declares but an older database lacks (SQLite cannot
    create_all them). New columns are nullable; the next seed fills them."""
    inspector = sa.inspect(engine)
    with engine.begin() as conn:
        for table in (ServiceRecord.__table__,):
            if not inspector.has_table(table.name):
                continue
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
                    logger.info("added column %s.%s", table.name, column.name)


def _load(path: Path, top_key: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    try:
        items: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))[top_key]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise SeedDataError(str(path), f"cannot read list {top_key!r}: {exc}") from exc
    for index, item in enumerate(items):
        missing = [key for key in keys if key not in item]
        if missing:
            raise SeedDataError(str(path), f"entry {index} ({item.get(keys[0])}) lacks {missing}")
    return items


def _offices(catalogue_dir: Path, problems: list[str]) -> list[dict[str, Any]]:
    """offices.yml's records with every field and valid opening hours (problems in German)."""
    try:
        content = yaml.safe_load((catalogue_dir / OFFICES_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{OFFICES_FILE}: nicht lesbar ({exc})")
        return []
    items = content.get("offices") if isinstance(content, Mapping) else None
    if not isinstance(items, list):
        problems.append(f"{OFFICES_FILE}: erwartet eine Liste unter 'offices:'")
        return []
    offices = []
    for index, item in enumerate(items):
        where = (
            f"{OFFICES_FILE}: Dienststelle {item.get('id', f'Nr. {index + 1}')!r}" if isinstance(item, Mapping) else ""
        )
        if not isinstance(item, Mapping):
            problems.append(f"{OFFICES_FILE}: Dienststelle Nr. {index + 1}: muss eine Zuordnung von Feldern sein")
            continue
        missing = [key for key in OFFICE_KEYS if key not in item]
        if missing:
            problems.append(f"{where}: es fehlt {', '.join(missing)}")
            continue
        try:
            parse_week(item["opening_hours"])
        except ValueError as exc:
            problems.append(f"{where}: Öffnungszeiten ungültig ({exc})")
            continue
        offices.append({key: item[key] for key in OFFICE_KEYS})
    return offices


def read_catalogue_files(catalogue_dir: Path) -> CatalogueFiles:
    """Read and validate offices and catalogue; raise one `CatalogueError` with every problem."""
    problems: list[str] = []
    offices = _offices(catalogue_dir, problems)
    catalogue: Catalogue | None = None
    try:
        catalogue = load_catalogue(catalogue_dir)
    except CatalogueError as error:
        problems.extend(p for p in error.problems if p not in problems)
    calendars = read_calendar_config(catalogue_dir, {str(o["id"]) for o in offices}, catalogue, problems)
    if problems or catalogue is None:
        raise CatalogueError(problems)
    return CatalogueFiles(offices, catalogue, calendars)


def _service_values(entry: ServiceEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.name,
        "description": entry.description,
        "documents": list(entry.documents),
        "fees": entry.fees,
        "processing_time": entry.processing_time,
        "office_id": entry.office,
        "appointment_required": entry.appointment_required,
        "online_url": entry.online_url,
        "keywords": list(entry.keywords),
        "leika": entry.leika,
        "appointment": entry.appointment,
        "synonyms": list(entry.synonyms),
        "life_events": list(entry.life_events),
        "prerequisites": list(entry.prerequisites),
        "deadlines": entry.deadlines,
        "forms": [{"title": f.title, "url": f.url} for f in entry.forms],
        "legal_basis": list(entry.legal_basis),
        "demo": entry.demo,
    }


def apply_catalogue(session: Session, files: CatalogueFiles) -> ReloadSummary:
    """Make the database's offices, services and life events those of `files` (inside the
    caller's transaction: it commits). A service that cases still refer to cannot be removed."""
    catalogue = files.catalogue
    new_ids = catalogue.ids()
    old_ids = set(session.scalars(sa.select(ServiceRecord.id)))
    removed = sorted(old_ids - new_ids)
    if removed:
        rows = session.execute(
            sa.select(CaseRecord.service_id, sa.func.count())
            .where(CaseRecord.service_id.in_(removed))
            .group_by(CaseRecord.service_id)
        )
        in_use = [f"Leistung {sid!r}: fehlt im Katalog, aber {n} Vorgang/Vorgänge verweisen darauf" for sid, n in rows]
        if in_use:
            raise CatalogueError(in_use)
    for office in files.offices:
        session.merge(OfficeRecord(**office))
    for entry in catalogue.services:
        session.merge(ServiceRecord(**_service_values(entry)))
    session.flush()
    if removed:
        session.execute(sa.delete(ServiceRecord).where(ServiceRecord.id.in_(removed)))
    office_ids = {o["id"] for o in files.offices}
    session.execute(sa.delete(OfficeRecord).where(OfficeRecord.id.not_in(office_ids)))
    session.execute(sa.delete(LifeEventRecord))
    for event in catalogue.life_events:
        session.add(
            LifeEventRecord(id=event.id, name=event.name, phrases=list(event.phrases), services=list(event.services))
        )
    apply_calendars(session, office_ids, catalogue, files.calendars)
    session.flush()
    return ReloadSummary(
        offices=len(files.offices),
        services=len(catalogue.services),
        life_events=len(catalogue.life_events),
        added=sorted(new_ids - old_ids),
        removed=removed,
    )


def reload_catalogue(session: Session, catalogue_dir: Path) -> ReloadSummary:
    """Re-read the files and replace the catalogue in one transaction; on any problem nothing
    changes and `CatalogueError` names every problem."""
    files = read_catalogue_files(catalogue_dir)
    try:
        summary = apply_catalogue(session, files)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    logger.info(
        "catalogue reloaded: %d services (%d added, %d removed), %d life events, %d offices",
        summary.services,
        len(summary.added),
        len(summary.removed),
        summary.life_events,
        summary.offices,
    )
    return summary


def seed(session: Session, catalogue_dir: Path) -> None:
    """Write offices, services and life events (edits to the files apply on restart or reload); add missing cases."""
    try:
        summary = apply_catalogue(session, read_catalogue_files(catalogue_dir))
    except CatalogueError as error:
        session.rollback()
        raise SeedDataError(str(catalogue_dir), "; ".join(error.problems)) from error

    cases_path = catalogue_dir / "cases.yml"
    if cases_path.exists():
        for item in _load(cases_path, "cases", CASE_KEYS):
            _add_case(session, item)
    session.commit()
    logger.info("seeded %d offices and %d services", summary.offices, summary.services)


def _add_case(session: Session, item: dict[str, Any]) -> None:
    if session.get(CaseRecord, item["case_number"]) is not None:
        return
    if item["status"] not in STATUS_LABELS:
        raise SeedDataError("cases.yml", f"case {item['case_number']}: unknown status {item['status']!r}")
    session.add(
        CaseRecord(
            case_number=item["case_number"],
            service_id=item["service"],
            status=item["status"],
            next_step=item["next_step"],
            access_code_hash=hash_access_code(str(item["access_code"])),
            history=[
                CaseEventRecord(
                    date=date.fromisoformat(str(event["date"])), status=event["status"], note=event.get("note", "")
                )
                for event in item["history"]
            ],
        )
    )
