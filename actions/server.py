"""The action server process: rasa_sdk's Sanic app, reachable only with a shared secret.

`python -m actions.server --port 5055` (the launcher starts it so, bound to `SANIC_HOST`, default
127.0.0.1). Rasa sends `Authorization: Bearer <BUERGERBOT_ACTIONS_TOKEN>` (the `headers:` of the
action endpoint in the endpoints.yml the launcher writes). On top of rasa_sdk's app:

- every request but `GET /health` (the gateway's probe) needs the secret, else 401;
- the raw body is limited (Sanic answers 413 before the handler runs);
- a compressed body (`Content-Encoding: deflate` or `gzip`) is inflated here with the same kind of
  limit, never further than one byte past it (rasa_sdk would inflate it without any), else 413;
  other encodings get 415, broken streams 400;
- error answers carry a short reason only, never the request body (rasa_sdk's own handler echoes
  it), and the log names the exception type, not its message.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
import zlib
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

logger = logging.getLogger(__name__)

TOKEN_VARIABLE = "BUERGERBOT_ACTIONS_TOKEN"
MIN_TOKEN_LENGTH = 16
OPEN_ROUTES = frozenset({("GET", "/health"), ("HEAD", "/health")})
# Rasa sends the domain (about 5 KB) and the tracker of the current session (a few KB a turn):
# 2 MiB leaves room for several hundred turns and stops anything that is not a tracker.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_INFLATED_BYTES = 2 * 1024 * 1024
DEFAULT_PORT = 5055
# zlib window bits: "deflate" in HTTP is the zlib format (RFC 9110); "gzip" the gzip format.
_WBITS = {"deflate": zlib.MAX_WBITS, "gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS}


class BodyRefused(Exception):
    """A request body the action server will not take, with the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


def bearer_matches(authorization: str | None, token: str) -> bool:
    """Whether an `Authorization` header carries `Bearer <token>` (constant-time comparison)."""
    if not authorization or not token:
        return False
    scheme, _, value = authorization.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


def inflate_limited(body: bytes, encoding: str, limit: int) -> bytes:
    """`body` decoded per its `Content-Encoding`, refused (`BodyRefused`) when the result would
    exceed `limit` bytes. Never produces more than `limit + 1` bytes, whatever the input."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        if len(body) > limit:
            raise BodyRefused(413, "body too large")
        return body
    wbits = _WBITS.get(name)
    if wbits is None:
        raise BodyRefused(415, "unsupported content encoding")
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BodyRefused(400, "invalid compressed body") from exc
    if len(data) > limit:
        raise BodyRefused(413, "decompressed body too large")
    if not inflater.eof or inflater.unused_data:
        raise BodyRefused(400, "invalid compressed body")
    return data


def error_body(status: int) -> dict[str, str]:
    """What an error answer says: the status's standard phrase, nothing from the request."""
    try:
        return {"error": HTTPStatus(status).phrase}
    except ValueError:
        return {"error": "error"}


def create_server_app(
    token: str,
    actions_package: str = "actions",
    max_body_bytes: int = MAX_BODY_BYTES,
    max_inflated_bytes: int = MAX_INFLATED_BYTES,
) -> Any:
    """rasa_sdk's app for `actions_package` (no CORS: no browser talks to it) with the guards above."""
    from rasa_sdk.endpoint import create_app
    from sanic import response
    from sanic.exceptions import SanicException

    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(f"{TOKEN_VARIABLE} must have at least {MIN_TOKEN_LENGTH} characters")
    app = create_app(actions_package, cors_origins="")
    app.config.REQUEST_MAX_SIZE = max_body_bytes

    def refuse(status: int) -> Any:
        return response.json(error_body(status), status=status)

    async def guard(request: Any) -> Any:
        if (request.method, request.path) in OPEN_ROUTES:
            return None
        if not bearer_matches(request.headers.get("authorization"), token):
            logger.warning("refused %s %s: no valid token", request.method, request.path)
            return refuse(401)
        encoding = request.headers.get("content-encoding")
        # In an error path (body too large) Sanic runs this middleware before the body is complete:
        # leave the answer to the error handler then.
        body_complete = request.stream is None or not request.stream.request_body
        if encoding is not None and body_complete:
            try:
                request.body = inflate_limited(request.body, encoding, max_inflated_bytes)
            except BodyRefused as refused:
                logger.warning("refused %s %s: %s", request.method, request.path, refused.reason)
                return refuse(refused.status)
            del request.headers["content-encoding"]  # rasa_sdk reads the inflated body as JSON
        return None

    async def on_error(request: Any, exception: Exception) -> Any:
        if isinstance(exception, SanicException):
            status = int(exception.status_code)
            logger.warning("%s %s answered %d (%s)", request.method, request.path, status, type(exception).__name__)
        else:
            status = 500
            logger.error("action server error on %s %s: %s", request.method, request.path, type(exception).__name__)
            logger.debug("traceback", exc_info=exception)  # may quote citizen input: never at INFO
        return refuse(status)

    app.register_middleware(guard, "request")
    app.error_handler.add(Exception, on_error)  # replaces rasa_sdk's handler, which echoes the body
    return app


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--actions", default="actions", help="package with the actions")
    parser.add_argument("--max-body-bytes", type=int, default=MAX_BODY_BYTES)
    parser.add_argument("--max-inflated-bytes", type=int, default=MAX_INFLATED_BYTES)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = os.environ.get(TOKEN_VARIABLE, "")
    if len(token) < MIN_TOKEN_LENGTH:
        print(
            f"{TOKEN_VARIABLE} is not set (at least {MIN_TOKEN_LENGTH} characters): "
            "the action server does not start without it.",
            file=sys.stderr,
        )
        return 2
    from rasa_sdk.utils import update_sanic_log_level

    app = create_server_app(token, args.actions, args.max_body_bytes, args.max_inflated_bytes)
    update_sanic_log_level()
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    logger.info("action server on http://%s:%d", host, args.port)
    app.run(host=host, port=args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
