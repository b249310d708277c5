"""POST /api/chat: the simplest integration (and what load tests use). It needs an API key
(`X-API-Key`); the Rasa sender is derived from the key, so one integrator can neither reach another
integrator's conversations nor a web or Telegram one."""

from __future__ import annotations

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.gateway.api_keys import ApiKeys
from bot.gateway.chat import ChatService
from channels.base import IncomingMessage
from channels.port import ChatRefused

router = APIRouter(prefix="/api", tags=["chat"])

NO_KEY = "Bitte geben Sie einen gültigen API-Schlüssel im Header X-API-Key an."


class ChatIn(BaseModel):
    sender: str = Field(..., min_length=1, max_length=128, regex=r"^[A-Za-z0-9_.:@-]+$")
    message: str = Field(..., max_length=100_000)


class ButtonOut(BaseModel):
    title: str
    payload: str


class MessageOut(BaseModel):
    text: str
    buttons: list[ButtonOut] = []
    input: str | None = Field(None, description='"secret" when the bot asks for the access code')


class ChatOut(BaseModel):
    messages: list[MessageOut]


def _refused(status: int, text: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": text, "messages": [{"text": text, "buttons": []}]})


@router.post(
    "/chat",
    response_model=ChatOut,
    response_model_exclude_none=True,
    responses={401: {}, 413: {}, 422: {}, 429: {}, 503: {}},
)
async def chat(
    body: ChatIn,
    request: Request,
    x_api_key: str | None = Header(None, description="the integrator's API key"),
) -> ChatOut | JSONResponse:
    keys: ApiKeys = request.app.state.api_keys
    key_id = keys.identify(x_api_key)
    if key_id is None:
        return _refused(401, NO_KEY)
    service: ChatService = request.app.state.chat
    message = IncomingMessage(sender=f"api:{key_id}:{body.sender}", text=body.message, client=f"api-key:{key_id}")
    try:
        answer = await service.handle(message)
    except ChatRefused as refused:
        return _refused(refused.status, refused.text)
    return ChatOut(messages=[MessageOut(**m.to_dict()) for m in answer])
