"""Error responses shared by the backend and the gateway."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """422 with one German sentence naming every field that is wrong."""
    assert isinstance(exc, RequestValidationError)  # registered for this type only
    problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'] if p != 'body')}: {err['msg']}" for err in exc.errors())
    return JSONResponse(status_code=422, content={"detail": f"Ungültige Anfrage – {problems}"})


def register_validation_handler(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
