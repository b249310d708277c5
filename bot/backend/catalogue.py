"""Service catalogue queries, including the fuzzy search that offers the closest services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backend.errors import OfficeNotFound, ServiceNotFound
from bot.core.text import fold, tokens

from .tables import LifeEventRecord, OfficeRecord, ServiceRecord


def get_service(session: Session, service_id: str) -> ServiceRecord:
    record: ServiceRecord | None = session.get(ServiceRecord, service_id)
    if record is None:
        raise ServiceNotFound(service_id)
    return record


def list_services(session: Session) -> list[ServiceRecord]:
    return list(session.scalars(select(ServiceRecord).order_by(ServiceRecord.name)))


def list_life_events(session: Session) -> list[LifeEventRecord]:
    return list(session.scalars(select(LifeEventRecord).order_by(LifeEventRecord.name)))


def get_office(session: Session, office_id: str) -> OfficeRecord:
    record: OfficeRecord | None = session.get(OfficeRecord, office_id)
    if record is None:
        raise OfficeNotFound(office_id)
    return record


def list_offices(session: Session) -> list[OfficeRecord]:
    return list(session.scalars(select(OfficeRecord).order_by(OfficeRecord.name)))


@dataclass(frozen=True)
class Match:
    service_id: str
    name: str
    score: float


def _term_score(query_tokens: list[str], term: str) -> float:
    """How well one catalogue term (maybe several words) matches the query tokens."""
    term_tokens = tokens(term)
    if not term_tokens:
        return 0.0
    scores = []
    for term_token in term_tokens:
        best = 0.0
        for token in query_tokens:
            if token == term_token:
                best = 1.0
                break
            if len(term_token) >= 4 and (term_token in token or (len(token) >= 4 and token in term_token)):
                # Compounds: "reisepassantrag" contains "reisepass".
                best = max(best, 0.9)
            else:
                best = max(best, SequenceMatcher(None, token, term_token).ratio())
        scores.append(best)
    return sum(scores) / len(scores)


def rank_services(query: str, services: Iterable[ServiceRecord], limit: int = 3, threshold: float = 0.7) -> list[Match]:
    """Closest services to free text (typos, compounds, colloquial names), best first."""
    query_tokens = [t for t in tokens(query) if len(t) >= 3]
    if not query_tokens:
        return []
    matches = []
    for service in services:
        terms = [service.name, service.id.replace("_", " "), *(service.synonyms or ()), *service.keywords]
        score = max(_term_score(query_tokens, term) for term in terms)
        if score >= threshold:
            matches.append(Match(service.id, service.name, round(score, 3)))
    matches.sort(key=lambda m: (-m.score, fold(m.name)))
    return matches[:limit]
