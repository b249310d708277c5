"""From reviews to a candidate model: export to the training data, conflicts, retraining jobs."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from bot.staff import export, jobs
from bot.staff.retrain import retrain
from bot.staff.reviews import domain_labels, reviewed_examples

from .deps import ActingUser, Staff, StaffUserDep
from .schemas import CHANGE, READ, errors, row_id_path

router = APIRouter(prefix="/api", tags=["staff: Training"])


class ConflictReview(BaseModel):
    intent: str | None
    reviewer: str
    event_id: int


class ConflictOut(BaseModel):
    """The same text with different labels (between reviews, or against the training data)."""

    text: str
    key: str = Field(..., description="Pass to POST /staff/api/conflicts/resolve.")
    training_data: str | None = Field(..., description="The text's intent in the training data, if it is there.")
    reviews: list[ConflictReview]


class ExportOut(BaseModel):
    exported: int
    already_in_training_data: int
    conflicts: list[ConflictOut]
    path: str


class ResolveIn(BaseModel):
    key: str = Field(..., max_length=2000)
    intent: str | None = Field(None, description="null discards every review of the text.")


class ResolveOut(BaseModel):
    reviews: int = Field(..., description="How many reviews were changed.")


class HeldoutAccuracy(BaseModel):
    live: float
    candidate: float


class RetrainSummary(BaseModel):
    model: str
    exported: int
    conflicts: int
    heldout: HeldoutAccuracy
    changed: int


class JobOut(BaseModel):
    id: int
    kind: str
    status: Literal["running", "succeeded", "failed"]
    progress: float = Field(..., ge=0, le=1)
    stage: str
    error: str | None = Field(..., description="German, for staff, when the job failed.")
    result: RetrainSummary | None
    created_by: str
    started_at: float
    finished_at: float | None


@router.post("/export", response_model=ExportOut, summary="Export reviewed examples", responses=CHANGE)
def export_reviewed(user: ActingUser, ctx: Staff) -> ExportOut:
    result = export.export(
        ctx.staff, ctx.settings.training_data_dir / "nlu", ctx.settings.reviewed_export_file, user.name
    )
    return ExportOut(**result.__dict__)


@router.get("/conflicts", response_model=list[ConflictOut], summary="Texts with conflicting labels", responses=READ)
def conflicts(_user: StaffUserDep, ctx: Staff) -> list[ConflictOut]:
    target = ctx.settings.reviewed_export_file
    _, result = export.plan(
        reviewed_examples(ctx.staff),
        export.existing_examples(ctx.settings.training_data_dir / "nlu", exclude=target),
    )
    return [ConflictOut(**c) for c in result.conflicts]


@router.post("/conflicts/resolve", response_model=ResolveOut, summary="Decide a conflict", responses=CHANGE)
def resolve(body: ResolveIn, user: ActingUser, ctx: Staff) -> ResolveOut:
    intents, _ = domain_labels(ctx.settings.domain_file)
    if body.intent is not None and body.intent not in intents:
        raise HTTPException(status_code=422, detail=f"Unbekannte Absicht {body.intent!r}.")
    return ResolveOut(reviews=export.resolve_conflict(ctx.staff, body.key, body.intent, user.name))


@router.post(
    "/retrain",
    status_code=202,
    response_model=JobOut,
    summary="Start retraining in the background",
    responses={**CHANGE, **errors(409)},
)
def start_retrain(user: ActingUser, ctx: Staff) -> JobOut:
    job_id = jobs.start_in_background(
        ctx.staff, "retrain", user.name, lambda progress: retrain(ctx.settings, ctx.staff, user.name, progress)
    )
    return JobOut(**jobs.get(ctx.staff, job_id))


@router.get("/jobs", response_model=list[JobOut], summary="The latest jobs, newest first", responses=READ)
def recent_jobs(_user: StaffUserDep, ctx: Staff) -> list[JobOut]:
    return [JobOut(**j) for j in jobs.recent(ctx.staff)]


@router.get("/jobs/{job_id}", response_model=JobOut, summary="A job's progress and result", responses=errors(401, 404))
def job(_user: StaffUserDep, ctx: Staff, job_id: int = row_id_path("The job's id.")) -> JobOut:
    return JobOut(**jobs.get(ctx.staff, job_id))
