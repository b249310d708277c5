"""GET /health: the gateway and the state of Rasa, the action server and the backend."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.infra.rasa_client import RasaClient, RasaUnavailable

router = APIRouter(tags=["health"])


async def _probe(client: httpx.AsyncClient, url: str) -> str:
    try:
        response = await client.get(url)
    except httpx.HTTPError:
        return "down"
    return "ok" if response.status_code == 200 else "down"


async def _probe_rasa(rasa: RasaClient) -> str:
    try:
        await rasa.status()
    except RasaUnavailable:
        return "down"
    return "ok"


@router.get(
    "/health",
    summary="State of the gateway and the services behind it",
    responses={503: {"description": 'Rasa, the action server or the backend is down (status "degraded")'}},
)
async def health(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    async with httpx.AsyncClient(timeout=2) as client:
        rasa, actions, backend = await asyncio.gather(
            _probe_rasa(request.app.state.rasa),
            _probe(client, f"{settings.actions_url}/health"),
            _probe(client, f"{settings.backend_url}/health"),
        )
    components = {"rasa": rasa, "actions": actions, "backend": backend}
    telegram = request.app.state.telegram
    ok = all(state == "ok" for state in components.values())
    return JSONResponse(
        status_code=200 if ok else 503,
        content={
            "status": "ok" if ok else "degraded",
            "components": components,
            "telegram": "on" if telegram is not None else "off",
        },
    )
