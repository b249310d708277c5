"""Promotion and rollback: the running Rasa server loads another model through its HTTP API.
Also which model is live: the registry's record of the model Rasa runs (`adopt_running_model`).

Rasa keeps answering with the old model while the new one loads (PUT /model swaps the agent
once it is ready), so citizens keep chatting.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.infra.paths import MODELS_DIR
from bot.infra.rasa_client import RasaUnavailable

from . import audit, registry
from .accounts import StaffUser
from .errors import Conflict, Forbidden, InvalidInput, NotFound, PromotionRefused, RasaUnreachable
from .evaluation import check_promotion
from .settings import StaffSettings

logger = logging.getLogger(__name__)
MIN_REASON_CHARS = 10


def rasa_model_file(settings: StaffSettings, staff: sa.engine.Engine) -> Path | None:
    """The model the running Rasa server answers with, or None when Rasa is not reachable or the
    file cannot be found (Rasa reports only the file name)."""
    try:
        name = settings.rasa_api().model_file()
    except RasaUnavailable:
        logger.warning("could not ask Rasa at %s for its model", settings.rasa_url)
        return None
    if not name:
        return None
    try:
        return Path(registry.get(staff, name)["path"])
    except NotFound:
        pass
    places = [settings.initial_model] if settings.initial_model else []
    places += [settings.models_dir / name, MODELS_DIR / name]
    return next((p for p in places if p.name == name and p.is_file()), None)


def adopt_running_model(settings: StaffSettings, staff: sa.engine.Engine) -> dict[str, Any] | None:
    """Record the model Rasa runs as the live one, when the registry says otherwise (the first
    start, or a model loaded outside the console), and return the live model.

    The one write behind "which model is live": run at gateway start-up and before a retraining,
    promotion or rollback, never from a read (the console's GET routes use `registry.live`).
    While Rasa is still loading and no model is live yet, the model it was started with
    (`initial_model`) is taken."""
    current = registry.live(staff)
    running = rasa_model_file(settings, staff)
    if running is None and current is None and settings.initial_model and settings.initial_model.is_file():
        running = settings.initial_model
    if running is not None and (current is None or Path(current["path"]) != running) and running.exists():
        registry.register(staff, running, "system")
        with staff.begin() as conn:
            registry.mark_live(conn, running.name, "system")
            audit.record(conn, "system", "model.adopt", running.name, {"reason": "running in Rasa"})
        current = registry.get(staff, running.name)
    return current


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
    adopt_running_model(settings, staff)  # the model replaced now must be known, for a rollback
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
    accuracy: float | None = ((live["evaluation"] or {}).get("heldout") or {}).get("candidate", {}).get("accuracy")
    return accuracy


def rollback(
    settings: StaffSettings, staff: sa.engine.Engine, user: StaffUser, name: str | None = None
) -> dict[str, Any]:
    """Back to an earlier model: the one live before the current, or `name`. No accuracy check:
    going back is the emergency exit."""
    if not user.is_admin:
        raise Forbidden(user.name, "Zurück zum früheren Modell")
    adopt_running_model(settings, staff)
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
