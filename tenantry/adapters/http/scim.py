"""The SCIM 2.0 endpoint of every directory, mounted at ``/scim/v2/{directory_id}`` (``/Users``,
``/Groups``, ``/Bulk``, ``/ServiceProviderConfig``, ``/Schemas``, ``/ResourceTypes``); see
:mod:`tenantry.adapters.scim.endpoint`.

Every answer is ``application/scim+json``; every refusal, including a body over
:data:`~tenantry.adapters.scim.provider.MAX_BODY_BYTES` (413), a database that is unavailable
(503) and a bug (500, logged under the request id), is a SCIM error body. The directory's token
travels in the ``Authorization`` header, which no log line of the server carries.
"""

from __future__ import annotations

import json
import logging
from typing import Final

from fastapi import FastAPI, Request, Response
from scim2_models import Error, NotFoundException, PayloadTooLargeException
from scim2_server.requests import ScimRequest
from scim2_server.responses import SCIM_MEDIA_TYPE, ScimResponse
from starlette.concurrency import run_in_threadpool

from tenantry.adapters.http.errors import PayloadTooLarge
from tenantry.adapters.http.requests import current
from tenantry.adapters.http.routing import UNAVAILABLE_ERRORS
from tenantry.adapters.http.routing import _read_body as read_body
from tenantry.adapters.scim.endpoint import ScimEndpoint
from tenantry.adapters.scim.provider import MAX_BODY_BYTES

SCIM_ROOT: Final = "/scim/v2/{directory_id}"
_METHODS: Final = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_MAX_DIRECTORY_ID: Final = 64
log = logging.getLogger("tenantry.http")


def add_scim_routes(app: FastAPI, endpoint: ScimEndpoint) -> None:
    """Mounts ``endpoint`` under :data:`SCIM_ROOT` (left out of the OpenAPI document: SCIM has
    its own discovery endpoints)."""

    async def scim(request: Request, directory_id: str, path: str = "") -> Response:
        return await _serve(endpoint, request, directory_id, path)

    for route in (SCIM_ROOT, f"{SCIM_ROOT}/{{path:path}}"):
        app.add_api_route(route, scim, methods=_METHODS, include_in_schema=False)


async def _serve(
    endpoint: ScimEndpoint, request: Request, directory_id: str, path: str
) -> Response:
    if len(directory_id) > _MAX_DIRECTORY_ID:
        return _response(endpoint.error(NotFoundException(detail="no such directory")))
    try:
        await read_body(request, MAX_BODY_BYTES)
    except PayloadTooLarge as e:
        return _response(endpoint.error(PayloadTooLargeException(detail=e.message)))
    body = await request.body()
    base = str(request.base_url).rstrip("/")
    scim_request = ScimRequest(
        method=request.method,
        base_url=f"{base}/scim/v2/{directory_id}",
        path=f"/{path}",
        query=dict(request.query_params),
        headers=list(request.headers.items()),
        body=body,
    )
    try:
        answered = await run_in_threadpool(endpoint.answer, directory_id, scim_request)
    except UNAVAILABLE_ERRORS as e:
        log.warning("request %s: database unavailable: %s", current(), e, exc_info=e)
        return _failure(503, "the database is unavailable; retry later", {"Retry-After": "1"})
    except Exception as e:  # a bug: the client gets a SCIM body, the log the traceback
        rid = current()
        log.error("request %s failed", rid, exc_info=e)
        return _failure(500, f"internal error; the server log has it under request id {rid}")
    return _response(answered)


def _response(answered: ScimResponse) -> Response:
    headers = {k: v for k, v in answered.headers.items() if k.lower() != "content-type"}
    if answered.body is None:
        return Response(status_code=answered.status, headers=headers)
    return Response(
        json.dumps(answered.body, ensure_ascii=False).encode(),
        status_code=answered.status,
        headers=headers,
        media_type=SCIM_MEDIA_TYPE,
    )


def _failure(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    body = Error(status=status, detail=detail).model_dump()
    return Response(
        json.dumps(body).encode(), status_code=status, headers=headers, media_type=SCIM_MEDIA_TYPE
    )
