"""Failed case checks per case number (known or not), counted atomically before a code is compared.

A row per case number holds the attempts of the current window, which starts with the first
attempt after the previous window ran out; attempts older than the window no longer count. The
count is one `INSERT … ON CONFLICT … DO UPDATE … RETURNING` statement (SQLite >= 3.35,
PostgreSQL), so parallel attempts can neither read the same count nor collide on inserting
the row.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, delete, text
from sqlalchemy.orm import Session

from .tables import Base


class CaseCheckAttemptRecord(Base):
    __tablename__ = "case_check_attempts"

    case_number = Column(String(40), primary_key=True)
    attempts = Column(Integer, nullable=False)
    window_start = Column(Float, nullable=False, index=True)  # UTC, seconds since the epoch


# SQLAlchemy 1.4's SQLite compiler has no RETURNING, hence plain SQL (the same text runs on PostgreSQL).
_COUNT_ATTEMPT = text(
    "INSERT INTO case_check_attempts (case_number, attempts, window_start) VALUES (:case_number, 1, :now) "
    "ON CONFLICT (case_number) DO UPDATE SET "
    "attempts = CASE WHEN case_check_attempts.window_start <= :expired "
    "THEN 1 ELSE case_check_attempts.attempts + 1 END, "
    "window_start = CASE WHEN case_check_attempts.window_start <= :expired "
    "THEN :now ELSE case_check_attempts.window_start END "
    "RETURNING attempts, window_start"
)


def count_attempt(session: Session, case_number: str, now: float, window_seconds: float) -> tuple[int, float]:
    """Count one attempt and commit it; returns (attempts in the current window, its start)."""
    _end_read(session)
    expired = now - window_seconds
    session.execute(delete(CaseCheckAttemptRecord).where(CaseCheckAttemptRecord.window_start <= expired))
    row = session.execute(_COUNT_ATTEMPT, {"case_number": case_number, "now": now, "expired": expired}).one()
    session.commit()
    return int(row.attempts), float(row.window_start)


def clear_attempts(session: Session, case_number: str) -> None:
    """After the right code: the number's count starts again."""
    _end_read(session)
    session.execute(delete(CaseCheckAttemptRecord).where(CaseCheckAttemptRecord.case_number == case_number))
    session.commit()


def _end_read(session: Session) -> None:
    """End a read-only transaction first: under SQLite's WAL a transaction that read before a
    concurrent commit cannot become a writer (SQLITE_BUSY at once, no waiting); a fresh one waits
    for the write lock instead. Nothing is pending here, and objects stay loaded."""
    if not session.new and not session.dirty and not session.deleted:
        session.commit()
