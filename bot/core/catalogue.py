"""The service catalogue's records and their validation (pure: no files, no database).

The shape follows the federal standards for public services (LeiKa, the German service
catalogue, and FIM's field set): key, name, description, prerequisites, documents, fees,
processing time, deadlines, forms, legal basis, responsible office, online service link,
whether an appointment is needed. Life events ("Umzug", "Geburt", ...) lead citizens to
services. The file format (YAML under data/catalogue/) is documented in docs/catalogue.md;
loaders parse the files and hand plain dicts to `parse_catalogue`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
LEIKA_PATTERN = re.compile(r"^\d{14}$")
URL_PATTERN = re.compile(r"^https://[^\s]+$")
Appointment = Literal["required", "recommended", "none"]
APPOINTMENT_VALUES: tuple[str, ...] = ("required", "recommended", "none")


class CatalogueError(ValueError):
    """Every problem of one catalogue, each naming its record and field (in German: staff read them)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Form:
    title: str
    url: str


@dataclass(frozen=True)
class ServiceEntry:
    id: str
    name: str
    description: str
    office: str  # id of the responsible office
    leika: str | None = None  # 14-digit LeiKa key
    synonyms: tuple[str, ...] = ()  # other names citizens use ("Perso", "Ummeldung")
    keywords: tuple[str, ...] = ()  # words that point to the service ("umgezogen", "abgelaufen")
    life_events: tuple[str, ...] = ()  # ids of life events that lead to this service
    prerequisites: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    fees: str = ""
    processing_time: str = ""
    deadlines: str = ""
    forms: tuple[Form, ...] = ()
    legal_basis: tuple[str, ...] = ()
    online_url: str | None = None
    appointment: Appointment = "none"
    demo: bool = True  # facts written for the Musterstadt demo, not an official source

    @property
    def appointment_required(self) -> bool:
        return self.appointment == "required"

    def search_texts(self) -> tuple[str, ...]:
        """The texts a resolver may match a citizen's message against."""
        return (self.name, *self.synonyms, *self.keywords, self.description)


@dataclass(frozen=True)
class LifeEvent:
    id: str
    name: str  # "Umzug"
    phrases: tuple[str, ...]  # how citizens describe it ("ich bin umgezogen", "neue Wohnung")
    services: tuple[str, ...]  # service ids, most common first


@dataclass(frozen=True)
class Catalogue:
    services: tuple[ServiceEntry, ...]
    life_events: tuple[LifeEvent, ...] = ()
    _by_id: dict[str, ServiceEntry] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({s.id: s for s in self.services})

    def service(self, service_id: str) -> ServiceEntry | None:
        return self._by_id.get(service_id)

    def ids(self) -> frozenset[str]:
        return frozenset(self._by_id)


def _texts(raw: Mapping[str, Any], key: str, where: str, problems: list[str]) -> tuple[str, ...]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: '{key}' muss eine Liste nicht leerer Texte sein")
        return ()
    return tuple(v.strip() for v in value)


def _text(raw: Mapping[str, Any], key: str, where: str, problems: list[str], required: bool = False) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{where}: '{key}' fehlt")
        return ""
    if not isinstance(value, str | int | float):
        problems.append(f"{where}: '{key}' muss ein Text sein")
        return ""
    return " ".join(str(value).split())


def parse_service(raw: Mapping[str, Any], index: int, problems: list[str]) -> ServiceEntry | None:
    """One service record; appends a problem per bad field (naming the record) and returns None then."""
    before = len(problems)
    service_id = raw.get("id")
    where = f"Leistung {service_id!r}" if service_id else f"Leistung Nr. {index + 1}"
    if not isinstance(service_id, str) or not ID_PATTERN.match(service_id):
        problems.append(f"{where}: 'id' muss {ID_PATTERN.pattern} entsprechen (Kleinbuchstaben, Ziffern, _)")
    name = _text(raw, "name", where, problems, required=True)
    description = _text(raw, "description", where, problems, required=True)
    office = _text(raw, "office", where, problems, required=True)
    leika = raw.get("leika")
    if leika is not None and not (isinstance(leika, str) and LEIKA_PATTERN.match(leika)):
        problems.append(f"{where}: 'leika' muss ein 14-stelliger Schlüssel in Anführungszeichen sein")
    online_url = raw.get("online_url")
    if online_url is not None and not (isinstance(online_url, str) and URL_PATTERN.match(online_url)):
        problems.append(f"{where}: 'online_url' muss ein https://-Link oder null sein")
    appointment = raw.get("appointment", "none")
    if appointment not in APPOINTMENT_VALUES:
        problems.append(f"{where}: 'appointment' muss einer der Werte {', '.join(APPOINTMENT_VALUES)} sein")
    forms: list[Form] = []
    for number, form in enumerate(raw.get("forms") or []):
        if not (
            isinstance(form, Mapping) and isinstance(form.get("title"), str) and URL_PATTERN.match(str(form.get("url")))
        ):
            problems.append(f"{where}: Formular Nr. {number + 1} braucht 'title' und eine https://-'url'")
        else:
            forms.append(Form(form["title"], form["url"]))
    unknown = set(raw) - _SERVICE_KEYS
    if unknown:
        problems.append(f"{where}: unbekannte(s) Feld(er) {', '.join(sorted(unknown))}")
    entry = ServiceEntry(
        id=str(service_id),
        name=name,
        description=description,
        office=office,
        leika=leika if isinstance(leika, str) else None,
        synonyms=_texts(raw, "synonyms", where, problems),
        keywords=_texts(raw, "keywords", where, problems),
        life_events=_texts(raw, "life_events", where, problems),
        prerequisites=_texts(raw, "prerequisites", where, problems),
        documents=_texts(raw, "documents", where, problems),
        fees=_text(raw, "fees", where, problems),
        processing_time=_text(raw, "processing_time", where, problems),
        deadlines=_text(raw, "deadlines", where, problems),
        forms=tuple(forms),
        legal_basis=_texts(raw, "legal_basis", where, problems),
        online_url=online_url if isinstance(online_url, str) else None,
        appointment=appointment if appointment in APPOINTMENT_VALUES else "none",
        demo=bool(raw.get("demo", True)),
    )
    return entry if len(problems) == before else None


_SERVICE_KEYS = {
    "id", "name", "description", "office", "leika", "synonyms", "keywords", "life_events", "prerequisites",
    "documents", "fees", "processing_time", "deadlines", "forms", "legal_basis", "online_url", "appointment", "demo",
}  # fmt: skip


def parse_life_event(raw: Mapping[str, Any], index: int, problems: list[str]) -> LifeEvent | None:
    before = len(problems)
    event_id = raw.get("id")
    where = f"Lebenslage {event_id!r}" if event_id else f"Lebenslage Nr. {index + 1}"
    if not isinstance(event_id, str) or not ID_PATTERN.match(event_id):
        problems.append(f"{where}: 'id' muss {ID_PATTERN.pattern} entsprechen (Kleinbuchstaben, Ziffern, _)")
    name = _text(raw, "name", where, problems, required=True)
    phrases = _texts(raw, "phrases", where, problems)
    services = _texts(raw, "services", where, problems)
    if not services:
        problems.append(f"{where}: 'services' muss mindestens eine Leistung nennen")
    event = LifeEvent(str(event_id), name, phrases, services)
    return event if len(problems) == before else None


def parse_catalogue(
    services: Iterable[Mapping[str, Any]],
    life_events: Iterable[Mapping[str, Any]] = (),
    office_ids: Iterable[str] | None = None,
) -> Catalogue:
    """Validate every record and the references between them; raise one `CatalogueError` listing
    every problem (so an editor fixes a file in one pass), or return the catalogue."""
    problems: list[str] = []
    entries = [e for i, raw in enumerate(services) if (e := _record(raw, i, "Leistung", problems, parse_service))]
    events = [
        e for i, raw in enumerate(life_events) if (e := _record(raw, i, "Lebenslage", problems, parse_life_event))
    ]
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            problems.append(f"Leistung {entry.id!r}: die id ist doppelt vergeben")
        seen.add(entry.id)
    offices = set(office_ids) if office_ids is not None else None
    event_ids = {e.id for e in events}
    for entry in entries:
        if offices is not None and entry.office not in offices:
            problems.append(f"Leistung {entry.id!r}: unbekannte Dienststelle {entry.office!r}")
        problems.extend(
            f"Leistung {entry.id!r}: unbekannte Lebenslage {event!r}"
            for event in entry.life_events
            if event not in event_ids
        )
    seen_events: set[str] = set()
    for event in events:
        if event.id in seen_events:
            problems.append(f"Lebenslage {event.id!r}: die id ist doppelt vergeben")
        seen_events.add(event.id)
        problems.extend(
            f"Lebenslage {event.id!r}: unbekannte Leistung {service!r}"
            for service in event.services
            if service not in seen
        )
    if problems:
        raise CatalogueError(problems)
    return Catalogue(*_linked(entries, events))


def _linked(
    entries: list[ServiceEntry], events: list[LifeEvent]
) -> tuple[tuple[ServiceEntry, ...], tuple[LifeEvent, ...]]:
    """Links both ways: a service named by a life event lists that event, and an event named by a
    service lists that service (after the ones the event names itself), so editors write a link once."""
    events_of: dict[str, list[str]] = {e.id: list(e.life_events) for e in entries}
    services_of: dict[str, list[str]] = {e.id: list(e.services) for e in events}
    for event in events:
        for service_id in event.services:
            if event.id not in events_of[service_id]:
                events_of[service_id].append(event.id)
    for entry in entries:
        for event_id in entry.life_events:
            if entry.id not in services_of[event_id]:
                services_of[event_id].append(entry.id)
    return (
        tuple(replace(e, life_events=tuple(events_of[e.id])) for e in entries),
        tuple(replace(e, services=tuple(services_of[e.id])) for e in events),
    )


def surface_forms(catalogue: Catalogue) -> list[tuple[str, tuple[str, ...]]]:
    """(service id, the names citizens use for it: name first, then synonyms) for every service, in
    catalogue order: what a gazetteer or a resolver matches entity mentions against. Keywords are
    left out on purpose: they describe situations ("umgezogen"), not the service's name."""
    result = []
    for entry in catalogue.services:
        forms: list[str] = []
        for form in (entry.name, *entry.synonyms):
            if form.casefold() not in {f.casefold() for f in forms}:
                forms.append(form)
        result.append((entry.id, tuple(forms)))
    return result


def _record(raw: object, index: int, kind: str, problems: list[str], parse: Any) -> Any:
    if not isinstance(raw, Mapping):
        problems.append(f"{kind} Nr. {index + 1}: muss eine Zuordnung von Feldern sein (feld: wert)")
        return None
    return parse(raw, index, problems)
