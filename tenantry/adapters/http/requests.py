"""Request ids, and the answers to what no route expected: a database that is unavailable
(503) or a bug (500). Neither body carries SQL, bound parameters or a traceback: the server log
has them, under the request id that the response carries too.

Every response carries ``X-Request-Id``: the caller's own, if it sent a sane one (1-128 letters,
digits and ``._:-``), else a new one.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Final

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette import status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tenantry.adapters.http.errors import ErrorBody, Unavailable, error_response

HEADER: Final = "X-Request-Id"
_SANE: Final = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_current: ContextVar[str] = ContextVar("tenantry_request_id", default="-")
log = logging.getLogger("tenantry.http")


def current() -> str:
    """The id of the request being answered (``-`` outside one)."""
    return _current.get()


class RequestIds:
    """ASGI middleware: gives each request its id and puts it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        text = given.decode("latin-1")
        rid = text if _SANE.fullmatch(text) else uuid.uuid4().hex
        _current.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", rid.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def database_unavailable(error: BaseException) -> JSONResponse:
    """503: the database cannot be reached, is locked or overloaded; the details go to the log."""
    rid = current()
    log.warning("request %s: database unavailable: %s", rid, error, exc_info=error)
    response = error_response(
        Unavailable("the database is unavailable; retry later", request_id=rid)
    )
    response.headers[HEADER] = rid
    return response


async def unavailable_handler(_: Request, error: Exception) -> JSONResponse:
    return database_unavailable(error)


async def internal_handler(_: Request, error: Exception) -> JSONResponse:
    """500 for a bug: logged with its traceback under the request id, answered without it."""
    rid = current()
    log.error("request %s failed", rid, exc_info=error)
    body = ErrorBody.of(
        "internal",
        f"internal error; the server log has it under request id {rid}",
        {"request_id": rid},
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        headers={HEADER: rid},
    )
