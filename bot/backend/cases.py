"""Case status checks: access-code verification with lockout after repeated failures."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from bot.backend.errors import CaseLocked, CaseNotVerified

from .security import DUMMY_HASH, verify_access_code
from .tables import CaseRecord, VerificationLockRecord


def utc_now() -> datetime:
    """Now in UTC, without a zone: how lock times are stored (SQLite keeps no zone)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


logger = logging.getLogger(__name__)

STATUS_LABELS = {
    "eingegangen": "eingegangen",
    "in_bearbeitung": "in Bearbeitung",
    "rueckfrage": "Rückfrage",
    "abholbereit": "abholbereit",
    "abgeschlossen": "abgeschlossen",
    "abgelehnt": "abgelehnt",
}


def check_case(
    session: Session,
    case_number: str,
    access_code: str,
    *,
    now: datetime,
    max_attempts: int,
    lock_minutes: int,
) -> CaseRecord:
    """Return the case when the access code matches; otherwise count a failure.

    Unknown numbers and wrong codes fail the same way and both count towards the lock,
    so neither the answer nor the lock reveals whether a case exists. `now` is naive UTC.
    """
    lock = session.get(VerificationLockRecord, case_number)
    if lock is not None and lock.locked_until is not None and lock.locked_until > now:
        logger.info("case check refused: number locked")
        raise CaseLocked(case_number, lock.locked_until)

    case: CaseRecord | None = session.get(CaseRecord, case_number)
    matches = verify_access_code(access_code, case.access_code_hash if case else DUMMY_HASH)
    if matches and case is not None:
        if lock is not None:
            session.delete(lock)
            session.commit()
        return case

    if lock is None:
        lock = VerificationLockRecord(case_number=case_number, failed_attempts=0)
        session.add(lock)
    if lock.locked_until is not None and lock.locked_until <= now:
        lock.failed_attempts, lock.locked_until = 0, None
    lock.failed_attempts += 1
    logger.info("case check failed (%d of %d)", lock.failed_attempts, max_attempts)
    if lock.failed_attempts >= max_attempts:
        lock.locked_until = now + timedelta(minutes=lock_minutes)
        session.commit()
        raise CaseLocked(case_number, lock.locked_until)
    session.commit()
    raise CaseNotVerified(max_attempts - lock.failed_attempts)
