"""POST /api/chat: the simplest integration (and what load tests use)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.gateway.chat import ChatService
from channels.base import IncomingMessage
from channels.port import ChatRefused

router = APIRouter(prefix="/api", tags=["chat"])


class ChatIn(BaseModel):
    sender: str = Field(..., min_length=1, max_length=128, regex=r"^[A-Za-z0-9_.:@-]+$")
    message: str = Field(..., max_length=100_000)


class ButtonOut(BaseModel):
    title: str
    payload: str


class MessageOut(BaseModel):
    text: str
    buttons: list[ButtonOut] = []


class ChatOut(BaseModel):
    messages: list[MessageOut]


@router.post("/chat", response_model=ChatOut, responses={413: {}, 422: {}, 429: {}})
async def chat(body: ChatIn, request: Request) -> ChatOut | JSONResponse:
    service: ChatService = request.app.state.chat
    try:
        answer = await service.handle(IncomingMessage(sender=f"api:{body.sender}", text=body.message))
    except ChatRefused as refused:
        return JSONResponse(
            status_code=refused.status,
            content={"detail": refused.text, "messages": [{"text": refused.text, "buttons": []}]},
        )
    return ChatOut(messages=[MessageOut(**m.to_dict()) for m in answer])
