"""The model registry: candidates with their evaluation, the live model, promotion and rollback."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from bot.staff import registry
from bot.staff.errors import NotFound
from bot.staff.promotion import promote, rollback

from .deps import ActingAdmin, Staff, StaffUserDep
from .schemas import CHANGE, READ, errors

router = APIRouter(prefix="/api/models", tags=["staff: Modelle"])


class IntentMetrics(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class Metrics(BaseModel):
    n: int
    accuracy: float
    macro_f1: float
    per_intent: dict[str, IntentMetrics]


class Comparison(BaseModel):
    live: Metrics
    candidate: Metrics


class ChangedPrediction(BaseModel):
    text: str
    source: Literal["heldout", "reviewed"]
    expected: str
    live: str | None
    candidate: str | None
    better: bool


class Evaluation(BaseModel):
    """A candidate compared with the model live when it was trained, on held-out and reviewed examples."""

    heldout: Comparison
    reviewed: Comparison
    changed: list[ChangedPrediction]
    live_model: str | None = Field(None, description="The live model it was compared with.")
    confusion_png: str | None = None


class ModelOut(BaseModel):
    name: str
    path: str
    status: Literal["candidate", "live", "retired"]
    created_at: float
    created_by: str
    promoted_at: float | None
    promoted_by: str | None
    evaluation: Evaluation | None
    exists: bool = Field(..., description="Whether the model file is still there.")


class ModelsOut(BaseModel):
    live: str | None = Field(..., description="Name of the live model, if one is known.")
    models: list[ModelOut]
    max_accuracy_drop: float


class PromoteIn(BaseModel):
    reason: str | None = Field(None, max_length=2000, description="Needed to override a refused promotion.")


class RollbackIn(BaseModel):
    name: str | None = Field(None, description="Default: the model live before the current one.")


def _model(data: dict[str, Any]) -> ModelOut:
    return ModelOut(**data)


@router.get("", response_model=ModelsOut, summary="Every model, newest first, and the live one", responses=READ)
def models(_user: StaffUserDep, ctx: Staff) -> ModelsOut:
    live = registry.live(ctx.staff)
    return ModelsOut(
        live=live["name"] if live else None,
        models=[_model(m) for m in registry.all_models(ctx.staff)],
        max_accuracy_drop=ctx.settings.max_accuracy_drop,
    )


@router.get(
    "/{name}/confusion.png",
    response_class=FileResponse,
    summary="Confusion matrix of a candidate on the held-out data",
    responses={200: {"content": {"image/png": {}}}, **errors(401, 404)},
)
def confusion(name: str, _user: StaffUserDep, ctx: Staff) -> FileResponse:
    evaluation = registry.get(ctx.staff, name)["evaluation"] or {}
    picture = Path(evaluation.get("confusion_png") or "")
    if not picture.is_file():
        raise NotFound("Konfusionsmatrix von", name)
    return FileResponse(picture, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post(
    "/{name}/promote",
    response_model=ModelOut,
    summary="Make a candidate live (admins)",
    responses={**CHANGE, **errors(404, 409, 503)},
)
def promote_model(name: str, body: PromoteIn, user: ActingAdmin, ctx: Staff) -> ModelOut:
    return _model(promote(ctx.settings, ctx.staff, name, user, body.reason))


@router.post(
    "/rollback",
    response_model=ModelOut,
    summary="Back to an earlier model (admins)",
    responses={**CHANGE, **errors(404, 409, 503)},
)
def rollback_model(body: RollbackIn, user: ActingAdmin, ctx: Staff) -> ModelOut:
    return _model(rollback(ctx.settings, ctx.staff, user, body.name))
