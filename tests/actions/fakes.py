"""An in-memory `BackendApi` for action tests: the catalogue files, no server, no database.

Offices get their open state from the pure opening-hours logic at the fake's clock (`now`) and
closed days; searches answer what the test scripted; cases are the ones the test passes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from actions.clients.backend import BackendUnavailable, CaseLocked, CaseNotVerified, NotFoundInBackend
from bot.core.opening_hours import format_week, holidays_in_week, open_state
from bot.infra.catalogue_files import load_catalogue
from bot.infra.paths import REPO_ROOT

CATALOGUE = REPO_ROOT / "data" / "catalogue"
BERLIN = ZoneInfo("Europe/Berlin")
A_MONDAY_MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN)

# The demo case BA-2025-004711 as the backend reports it once the code matched.
CASE_004711 = {
    "case_number": "BA-2025-004711",
    "service": "Personalausweis",
    "status": "in_bearbeitung",
    "status_label": "in Bearbeitung",
    "next_step": "Ihr Ausweis wird in der Bundesdruckerei hergestellt.",
    "history": [
        {"date": "2025-10-06", "status": "eingegangen", "status_label": "eingegangen", "note": "Antrag gestellt."},
        {"date": "2025-10-08", "status": "in_bearbeitung", "status_label": "in Bearbeitung", "note": ""},
    ],
}


def _catalogue(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = yaml.safe_load((CATALOGUE / f"{name}.yml").read_text(encoding="utf-8"))[name]
    return items


def _services() -> dict[str, dict[str, Any]]:
    """The catalogue's services as the backend's JSON carries them (the office still an id)."""
    return {
        entry.id: {
            "id": entry.id,
            "name": entry.name,
            "description": entry.description,
            "documents": list(entry.documents),
            "fees": entry.fees,
            "processing_time": entry.processing_time,
            "office": entry.office,
            "appointment_required": entry.appointment_required,
            "online_url": entry.online_url,
            "keywords": list(entry.keywords),
        }
        for entry in load_catalogue(CATALOGUE).services
    }


def match(service_id: str, name: str, score: float) -> dict[str, Any]:
    return {"id": service_id, "name": name, "score": score}


class FakeBackend:
    def __init__(
        self,
        now: datetime = A_MONDAY_MORNING,
        closed_days: Mapping[date, str] | None = None,
        searches: Mapping[str, list[dict[str, Any]]] | None = None,
        cases: Mapping[tuple[str, str], dict[str, Any]] | None = None,
        locked: Mapping[str, int] | None = None,
        unavailable: bool = False,
    ) -> None:
        self.now = now
        self.closed_days = dict(closed_days or {})
        self.searches = dict(searches or {})
        self.cases = dict(cases or {})
        self.locked = dict(locked or {})  # case number -> retry after (seconds)
        self.unavailable = unavailable
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._offices = {o["id"]: o for o in _catalogue("offices")}
        self._services = _services()

    def _call(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if self.unavailable:
            raise BackendUnavailable("fake://backend", "down")

    async def get_service(self, service_id: str) -> dict[str, Any]:
        self._call("get_service", service_id)
        if service_id not in self._services:
            raise NotFoundInBackend(f"/api/services/{service_id}")
        item = self._services[service_id]
        office = self._offices[item["office"]]
        return {**item, "office": {"id": office["id"], "name": office["name"]}}

    async def search_services(self, text: str, limit: int = 3) -> list[dict[str, Any]]:
        self._call("search_services", text, limit)
        return self.searches.get(text, [])[:limit]

    async def get_office(self, office_id: str) -> dict[str, Any]:
        self._call("get_office", office_id)
        if office_id not in self._offices:
            raise NotFoundInBackend(f"/api/offices/{office_id}")
        return self._office_out(self._offices[office_id])

    async def list_offices(self) -> list[dict[str, Any]]:
        self._call("list_offices")
        return [self._office_out(o) for o in sorted(self._offices.values(), key=lambda o: o["name"])]

    async def check_case(self, case_number: str, access_code: str) -> dict[str, Any]:
        self._call("check_case", case_number, "***")
        if case_number in self.locked:
            raise CaseLocked(self.locked[case_number])
        case = self.cases.get((case_number, access_code.upper()))
        if case is None:
            raise CaseNotVerified(4)
        return case

    def _office_out(self, item: dict[str, Any]) -> dict[str, Any]:
        """The JSON the backend sends (bot.backend.schemas.OfficeOut)."""
        state = open_state(item["opening_hours"], self.now, self.closed_days)

        def holiday(day: date, name: str) -> dict[str, str]:
            return {"date": day.isoformat(), "name": name}

        return {
            **item,
            "opening_hours_text": format_week(item["opening_hours"]),
            "open_now": state.open_now,
            "changes_at": state.changes_at.isoformat() if state.changes_at else None,
            "as_of": self.now.isoformat(),
            "closed_today": holiday(state.closed_today.date, state.closed_today.name) if state.closed_today else None,
            "holidays_this_week": [
                holiday(h.date, h.name) for h in holidays_in_week(self.now.date(), self.closed_days)
            ],
        }
