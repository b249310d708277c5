"""Load the catalogue, offices and demo cases from the readable YAML files in data/catalogue/."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from bot.backend.errors import SeedDataError
from bot.core.opening_hours import parse_week

from .cases import STATUS_LABELS
from .security import hash_access_code
from .tables import CaseEventRecord, CaseRecord, OfficeRecord, ServiceRecord

logger = logging.getLogger(__name__)

SERVICE_KEYS = (
    "id",
    "name",
    "description",
    "documents",
    "fees",
    "processing_time",
    "office",
    "appointment_required",
    "online_url",
    "keywords",
)
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


def seed(session: Session, catalogue_dir: Path) -> None:
    """Upsert services and offices (edits to the files apply on restart); add missing cases."""
    offices = _load(catalogue_dir / "offices.yml", "offices", OFFICE_KEYS)
    for item in offices:
        try:
            parse_week(item["opening_hours"])
        except ValueError as exc:
            raise SeedDataError("offices.yml", f"office {item['id']}: {exc}") from exc
        session.merge(OfficeRecord(**{key: item[key] for key in OFFICE_KEYS}))
    office_ids = {item["id"] for item in offices}

    services = _load(catalogue_dir / "services.yml", "services", SERVICE_KEYS)
    for item in services:
        if item["office"] not in office_ids:
            raise SeedDataError("services.yml", f"service {item['id']}: unknown office {item['office']!r}")
        values = {key: item[key] for key in SERVICE_KEYS if key != "office"}
        session.merge(ServiceRecord(office_id=item["office"], **values))
    session.flush()

    cases_path = catalogue_dir / "cases.yml"
    if cases_path.exists():
        for item in _load(cases_path, "cases", CASE_KEYS):
            _add_case(session, item)
    session.commit()
    logger.info("seeded %d offices and %d services", len(offices), len(services))


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
