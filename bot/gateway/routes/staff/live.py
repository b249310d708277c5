"""Live chat for staff: the queue, taking and answering conversations, callbacks, canned answers,
and the console's WebSocket (/staff/ws/live). Agents and admins only (docs/handoff.md)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from bot.staff import canned
from bot.staff.auth_sessions import find_session
from bot.staff.context import StaffContext

from ...handoff.desk import HandoffDesk
from .deps import SESSION_COOKIE, ActingAdmin, ActingUser, Staff, StaffUserDep
from .schemas import CHANGE, READ, OkOut, errors, row_id_path

logger = logging.getLogger(__name__)

router = APIRouter(tags=["staff: Live-Chat"])

MAX_FRAME_CHARS = 4096


def desk_of(request: Request) -> HandoffDesk:
    desk: HandoffDesk = request.app.state.desk
    return desk


Desk = Annotated[HandoffDesk, Depends(desk_of)]
HandoffId = Annotated[int, row_id_path("The handoff's id")]
RequestId = Annotated[int, row_id_path("The callback request's id")]


class ReplyIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=4000)
    client_id: str | None = Field(None, max_length=64, description="Repeated ids are stored once.")


class SeqOut(BaseModel):
    seq: int
    author: str = Field(..., description="How the citizen sees the author (the team unless names are shown).")


class TransferIn(BaseModel):
    team: str = Field(..., max_length=64)


class CannedIn(BaseModel):
    title: str = Field(..., max_length=100)
    text: str = Field(..., max_length=2000)
    team: str | None = Field(None, max_length=64)


@router.get("/api/handoffs", summary="The live queue per team and the caller's conversations", responses=READ)
async def queue(user: StaffUserDep, desk: Desk) -> dict[str, Any]:
    return await desk.snapshot(user)


@router.get(
    "/api/handoffs/{handoff_id}", summary="A conversation with its transcript", responses={**READ, **errors(403, 404)}
)
async def transcript(handoff_id: HandoffId, user: StaffUserDep, desk: Desk) -> dict[str, Any]:
    return await desk.transcript(handoff_id, user)


@router.post(
    "/api/handoffs/{handoff_id}/take", summary="Take a queued conversation", responses={**CHANGE, **errors(404, 409)}
)
async def take(handoff_id: HandoffId, user: ActingUser, desk: Desk) -> dict[str, Any]:
    return await desk.take(handoff_id, user)


@router.post(
    "/api/handoffs/{handoff_id}/messages",
    response_model=SeqOut,
    summary="Reply to the citizen",
    responses={**CHANGE, **errors(404, 409)},
)
async def reply(handoff_id: HandoffId, body: ReplyIn, user: ActingUser, desk: Desk) -> SeqOut:
    line = await desk.reply(handoff_id, user, body.text, body.client_id)
    return SeqOut(seq=line.seq, author=line.author)


@router.post(
    "/api/handoffs/{handoff_id}/transfer", summary="Transfer to another team", responses={**CHANGE, **errors(404, 409)}
)
async def transfer(handoff_id: HandoffId, body: TransferIn, user: ActingUser, desk: Desk) -> dict[str, Any]:
    return await desk.transfer(handoff_id, user, body.team)


@router.post(
    "/api/handoffs/{handoff_id}/handback", summary="Hand back to the bot", responses={**CHANGE, **errors(404, 409)}
)
async def handback(handoff_id: HandoffId, user: ActingUser, desk: Desk) -> dict[str, Any]:
    return await desk.handback(handoff_id, user)


@router.post(
    "/api/handoffs/{handoff_id}/close", summary="Close the conversation", responses={**CHANGE, **errors(404, 409)}
)
async def close(handoff_id: HandoffId, user: ActingUser, desk: Desk) -> dict[str, Any]:
    return await desk.close(handoff_id, user)


@router.get("/api/teams", summary="Live-chat teams with service hours", responses=READ)
async def teams(_user: StaffUserDep, desk: Desk) -> list[dict[str, Any]]:
    now = desk.now()
    return [team.to_dict(now) for team in desk.teams]


@router.get("/api/canned", summary="Canned answers", responses={**READ, **errors(403)})
async def canned_list(
    user: StaffUserDep, desk: Desk, team: Annotated[str | None, Query(max_length=64)] = None
) -> list[dict[str, Any]]:
    return await desk.canned(user, team)


@router.post("/api/canned", summary="Add a canned answer (admins)", responses=CHANGE)
async def canned_add(body: CannedIn, user: ActingAdmin, ctx: Staff) -> dict[str, Any]:
    return await asyncio.to_thread(canned.add, ctx.staff, user, body.title, body.text, body.team)


@router.delete(
    "/api/canned/{answer_id}",
    response_model=OkOut,
    summary="Delete a canned answer (admins)",
    responses={**CHANGE, **errors(404)},
)
async def canned_delete(
    answer_id: Annotated[int, row_id_path("The canned answer's id")], user: ActingAdmin, ctx: Staff
) -> OkOut:
    await asyncio.to_thread(canned.delete, ctx.staff, user, answer_id)
    return OkOut()


@router.get("/api/callbacks", summary="Callback requests", responses={**READ, **errors(403, 422)})
async def callback_list(
    user: StaffUserDep, desk: Desk, status: Literal["open", "assigned", "done"] | None = None
) -> list[dict[str, Any]]:
    return await desk.callbacks(user, status)


@router.post(
    "/api/callbacks/{request_id}/assign",
    summary="Assign a callback request to me",
    responses={**CHANGE, **errors(404, 409)},
)
async def callback_assign(request_id: RequestId, user: ActingUser, desk: Desk) -> dict[str, Any]:
    return await desk.assign_callback(user, request_id)


@router.post(
    "/api/callbacks/{request_id}/done", summary="Mark a callback request done", responses={**CHANGE, **errors(404, 409)}
)
async def callback_done(request_id: RequestId, user: ActingUser, desk: Desk) -> dict[str, Any]:
    return await desk.callback_done(user, request_id)


def same_origin(websocket: WebSocket) -> bool:
    """Cookies ride along on cross-site WebSocket requests: only the console's own pages may connect."""
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


@router.websocket("/ws/live")
async def live_socket(websocket: WebSocket) -> None:
    context: StaffContext = websocket.app.state.staff
    desk: HandoffDesk = websocket.app.state.desk
    session = await asyncio.to_thread(find_session, context.staff, websocket.cookies.get(SESSION_COOKIE))
    if session is None or not same_origin(websocket) or not session.user.can_answer:
        await websocket.close(code=1008)  # policy violation: not signed in, foreign page or no agent
        return
    await websocket.accept()
    user = session.user
    lock = asyncio.Lock()

    async def sink(frame: dict[str, Any]) -> None:
        async with lock:
            await websocket.send_json(frame)

    try:
        async with desk.staff_socket(user, sink):
            while True:
                received = await websocket.receive()
                if received["type"] == "websocket.disconnect":
                    return
                frame = _frame(received.get("text"))
                if frame and frame.get("type") == "typing" and isinstance(frame.get("handoff"), int):
                    await desk.staff_typing(user, frame["handoff"], bool(frame.get("on")))
    except WebSocketDisconnect:
        logger.debug("console socket of %s closed", user.name)


def _frame(raw: str | None) -> dict[str, Any] | None:
    if not raw or len(raw) > MAX_FRAME_CHARS:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
