"""Promotion and rollback: the running Rasa server loads another model through its HTTP API.

Rasa keeps answering with the old model while the new one loads (PUT /model swaps the agent
once it is ready), so citizens keep chatting.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.infra.rasa_client import RasaUnavailable

from . import audit, registry
from .accounts import StaffUser
from .errors import Conflict, Forbidden, InvalidInput, PromotionRefused, RasaUnreachable
from .evaluation import check_promotion
from .settings import StaffSettings

logger = logging.getLogger(__name__)
MIN_REASON_CHARS = 10


def load_into_rasa(settings: StaffSettings, model: Path) -> None:
    try:
        settings.rasa_api().load_model(model)
    except RasaUnavailable as exc:
        problem = "konnte das Modell nicht laden" if exc.reason.startswith("HTTP") else "ist nicht erreichbar"
        raise RasaUnreachable(f"Der Rasa-Server {problem} ({exc.reason}); das Live-Modell bleibt unverändert.") from exc


def promote(
    settings: StaffSettings, staff: sa.engine.Engine, name: str, user: StaffUser, override_reason: str | None = None
) -> dict[str, Any]:
    if not user.is_admin:
        raise Forbidden(user.name, "Modell übernehmen")
    model = registry.get(staff, name)
    if not model["exists"]:
        raise Conflict(f"Die Modelldatei {name} fehlt; bitte neu trainieren.")
    if model["status"] == "live":
        raise Conflict(f"{name} ist schon das Live-Modell.")
    reason = (override_reason or "").strip()
    try:
        check_promotion(model["evaluation"], name, settings.max_accuracy_drop, _live_accuracy(staff, model))
        overridden = False
    except PromotionRefused as refused:
        if not reason:
            raise
        if len(reason) < MIN_REASON_CHARS:
            raise InvalidInput(
                f"Bitte begründen Sie die Übernahme in mindestens {MIN_REASON_CHARS} Zeichen."
            ) from refused
        overridden = True
    load_into_rasa(settings, Path(model["path"]))
    with staff.begin() as conn:
        registry.mark_live(conn, name, user.name)
        audit.record(
            conn,
            user.name,
            "model.promote_override" if overridden else "model.promote",
            name,
            {"reason": reason} if overridden else {},
        )
    logger.info("model %s promoted by %s%s", name, user.name, " (override)" if overridden else "")
    return registry.get(staff, name)


def _live_accuracy(staff: sa.engine.Engine, candidate: dict[str, Any]) -> float | None:
    """Held-out accuracy of the model live now, if it differs from the one the candidate was
    compared with and its own evaluation is known."""
    live = registry.live(staff)
    if live is None or live["name"] == (candidate["evaluation"] or {}).get("live_model"):
        return None
    return ((live["evaluation"] or {}).get("heldout") or {}).get("candidate", {}).get("accuracy")


def rollback(
    settings: StaffSettings, staff: sa.engine.Engine, user: StaffUser, name: str | None = None
) -> dict[str, Any]:
    """Back to an earlier model: the one live before the current, or `name`. No accuracy check:
    going back is the emergency exit."""
    if not user.is_admin:
        raise Forbidden(user.name, "Zurück zum früheren Modell")
    target = registry.get(staff, name) if name else registry.previous_live(staff)
    if target is None:
        raise Conflict("Es gibt kein früheres Live-Modell, zu dem zurückgekehrt werden kann.")
    if not target["exists"]:
        raise Conflict(f"Die Modelldatei {target['name']} fehlt.")
    load_into_rasa(settings, Path(target["path"]))
    with staff.begin() as conn:
        registry.mark_live(conn, target["name"], user.name)
        audit.record(conn, user.name, "model.rollback", target["name"])
    return registry.get(staff, target["name"])
