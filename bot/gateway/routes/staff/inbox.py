"""The NLU inbox: citizens' messages (redacted), the labels staff may assign, reviews and bulk confirmation."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, validator

from bot.staff.inbox import InboxFilter, list_messages
from bot.staff.reviews import bulk_confirm, domain_labels, review

from .deps import ActingUser, Staff, StaffUserDep
from .schemas import CHANGE, MAX_ROW_ID, READ, check_row_id, errors, row_id_path

router = APIRouter(prefix="/api", tags=["staff: Posteingang"])

ReviewStatus = Literal["confirmed", "corrected", "discarded"]


class LabelsOut(BaseModel):
    intents: list[str]
    entities: list[str]


class PredictedEntity(BaseModel):
    entity: str | None
    value: str = Field(..., description="Canonical value, redacted.")
    text: str = Field(..., description="The words as written, redacted.")


class Alternative(BaseModel):
    name: str | None
    confidence: float


class LabelledEntity(BaseModel):
    entity: str
    value: str = Field(..., description="Must appear in the (redacted) message text.")


class ReviewState(BaseModel):
    status: ReviewStatus
    intent: str | None
    entities: list[LabelledEntity]
    reviewer: str
    at: float


class InboxMessage(BaseModel):
    id: int = Field(..., description="The tracker store's event id.")
    at: float
    channel: str
    conversation: str = Field(..., description="Pseudonym of the sender.")
    text: str = Field(..., description="Redacted.")
    intent: str | None
    confidence: float
    entities: list[PredictedEntity]
    alternatives: list[Alternative]
    rating: int | None
    review: ReviewState | None


class MessagePage(BaseModel):
    items: list[InboxMessage]
    next: int | None = Field(..., description="Pass as `before` for the next page; null on the last page.")
    low_confidence: float


class ReviewIn(BaseModel):
    decision: Literal["confirm", "correct", "discard"]
    intent: str | None = None
    entities: list[LabelledEntity] | None = None


class ReviewOut(BaseModel):
    id: int
    status: ReviewStatus
    intent: str | None
    entities: list[LabelledEntity]


class BulkIn(BaseModel):
    ids: list[int] = Field(..., max_items=500)

    _row_ids = validator("ids", each_item=True, allow_reuse=True)(check_row_id)


class BulkOut(BaseModel):
    confirmed: list[int]
    skipped: list[int] = Field(..., description="Not found, or not confirmable (not understood).")


@router.get("/labels", response_model=LabelsOut, summary="Intents and entities staff may assign", responses=READ)
def labels(_user: StaffUserDep, ctx: Staff) -> LabelsOut:
    intents, entities = domain_labels(ctx.settings.domain_file)
    return LabelsOut(intents=intents, entities=entities)


@router.get("/messages", response_model=MessagePage, summary="One page of messages, newest first", responses=READ)
def messages(
    _user: StaffUserDep,
    ctx: Staff,
    low_confidence: bool = False,
    fallback: bool = False,
    intent: str | None = None,
    channel: Literal["web", "telegram", "api"] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    rated_down: bool = False,
    reviewed: bool | None = None,
    q: str | None = Query(None, max_length=200),
    before: int | None = Query(None, ge=1, le=MAX_ROW_ID),
    limit: int = Query(50, ge=1, le=200),
) -> MessagePage:
    flt = InboxFilter(
        low_confidence, fallback, intent or None, channel, date_from, date_to, rated_down, reviewed, q or None
    )
    items, cursor = list_messages(
        ctx.tracker,
        ctx.staff,
        flt,
        limit=limit,
        before=before,
        low_confidence=ctx.settings.low_confidence,
        zone=ctx.settings.timezone,
    )
    return MessagePage(items=[i.public() for i in items], next=cursor, low_confidence=ctx.settings.low_confidence)


@router.post(
    "/messages/{event_id}/review",
    response_model=ReviewOut,
    summary="Confirm, correct or discard a message",
    responses={**CHANGE, **errors(404)},
)
def review_message(
    body: ReviewIn,
    user: ActingUser,
    ctx: Staff,
    event_id: int = row_id_path("The tracker store's event id."),
) -> ReviewOut:
    result = review(
        ctx.tracker,
        ctx.staff,
        ctx.settings.domain_file,
        event_id=event_id,
        decision=body.decision,
        actor=user.name,
        intent=body.intent,
        entities=None if body.entities is None else [e.dict() for e in body.entities],
    )
    return ReviewOut(**result)


@router.post(
    "/messages/bulk-confirm", response_model=BulkOut, summary="Confirm many predictions at once", responses=CHANGE
)
def bulk(body: BulkIn, user: ActingUser, ctx: Staff) -> BulkOut:
    return BulkOut(**bulk_confirm(ctx.tracker, ctx.staff, ctx.settings.domain_file, body.ids, user.name))
