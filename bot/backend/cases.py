"""Case status checks: access-code verification, counted per case number with a lock after repeated failures."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from bot.backend.errors import CaseLocked, CaseNotVerified

from .lockout import clear_attempts, count_attempt
from .security import DUMMY_HASH, verify_access_code
from .tables import CaseRecord


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
    """Return the case when the access code matches; otherwise CaseNotVerified or CaseLocked.

    Every check is counted for the number (atomically, committed) before the code is compared,
    in a window of `lock_minutes`; after `max_attempts` failures the number is locked until the
    window ends. Unknown numbers and wrong codes fail the same way and both count, so neither
    the answer nor the lock reveals whether a case exists. `now` is aware, or naive UTC.
    """
    window = lock_minutes * 60
    attempts, window_start = count_attempt(session, case_number, _epoch(now), window)
    locked_until = datetime.fromtimestamp(window_start + window, timezone.utc).replace(tzinfo=None)
    if attempts > max_attempts:
        logger.info("case check refused: number locked (attempt %d)", attempts)
        raise CaseLocked(case_number, locked_until)

    case: CaseRecord | None = session.get(CaseRecord, case_number)
    if verify_access_code(access_code, case.access_code_hash if case else DUMMY_HASH) and case is not None:
        clear_attempts(session, case_number)
        return case

    logger.info("case check failed (%d of %d)", attempts, max_attempts)
    if attempts >= max_attempts:
        raise CaseLocked(case_number, locked_until)
    raise CaseNotVerified(max_attempts - attempts)


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
