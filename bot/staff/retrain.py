"""Retraining from reviewed logs: export, train a candidate, evaluate it against the live model."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.training.model import model_path, train, training_data

from . import audit, registry
from .evaluation import compare, confusion_png
from .export import export, fictionalise, read_examples
from .predict import predict
from .promotion import adopt_running_model
from .reviews import reviewed_examples
from .settings import StaffSettings

Progress = Callable[[float, str], None]


def evaluation_examples(settings: StaffSettings, staff: sa.engine.Engine) -> list[dict[str, str]]:
    heldout = [{"text": t, "intent": i, "source": "heldout"} for t, i in read_examples(settings.heldout_nlu_file)]
    reviewed = [
        {"text": fictionalise(e["text"]), "intent": e["intent"], "source": "reviewed"} for e in reviewed_examples(staff)
    ]
    return heldout + reviewed


def evaluate(
    settings: StaffSettings, staff: sa.engine.Engine, candidate: Path, live: Path | None, progress: Progress
) -> dict[str, Any]:
    examples = evaluation_examples(settings, staff)
    texts = [e["text"] for e in examples]
    models = [candidate] if live is None or live == candidate else [candidate, live]
    progress(0.85, f"{len(models)} Modelle beantworten {len(texts)} Testsätze")
    with tempfile.TemporaryDirectory() as work:
        predictions = predict(models, texts, Path(work))
    new = predictions[str(candidate)]
    old = predictions[str(live)] if live is not None else new
    evaluation = compare(examples, old, new)
    evaluation["live_model"] = live.name if live else None
    heldout = [i for i, e in enumerate(examples) if e["source"] == "heldout"]
    picture = settings.models_dir / f"{candidate.name.removesuffix('.tar.gz')}.confusion.png"
    confusion_png(
        [examples[i]["intent"] for i in heldout], [new[i] for i in heldout], picture, f"Testdatensatz: {candidate.name}"
    )
    evaluation["confusion_png"] = str(picture)
    return evaluation


def retrain(settings: StaffSettings, staff: sa.engine.Engine, actor: str, progress: Progress) -> dict[str, Any]:
    """The whole retraining step, as run by the console's background job and `buergerbot retrain`."""
    progress(0.01, "Geprüfte Beispiele werden exportiert")
    exported = export(staff, settings.training_data_dir / "nlu", settings.reviewed_export_file, actor)
    data = training_data(settings.training_data_dir)
    target = model_path(settings.training_config, settings.models_dir, settings.domain_file, data)
    if target.exists():
        progress(0.8, "Für diese Daten gibt es schon ein Modell")
    else:
        train(
            settings.training_config,
            target,
            domain=settings.domain_file,
            data=data,
            on_progress=lambda fraction, stage: progress(0.03 + 0.77 * fraction, stage),
        )
    registry.register(staff, target, actor)
    live = adopt_running_model(settings, staff)
    evaluation = evaluate(settings, staff, target, Path(live["path"]) if live else None, progress)
    registry.set_evaluation(staff, target.name, evaluation)
    summary = {
        "model": target.name,
        "exported": exported.exported,
        "conflicts": len(exported.conflicts),
        "heldout": {k: v["accuracy"] for k, v in evaluation["heldout"].items()},
        "changed": len(evaluation["changed"]),
    }
    with staff.begin() as conn:
        audit.record(conn, actor, "model.retrain", target.name, summary)
    progress(1.0, "Fertig")
    return summary
