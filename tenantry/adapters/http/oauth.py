"""OAuth 2.0 client credentials over HTTP: the token endpoint and the JWKS of the standalone
server, and the bearer-token dependency its API routes run.

``POST /oauth/token`` trades an API client's id and secret (form fields or HTTP Basic) for an
access token; ``GET /keys`` serves the public keys that verify it. The token endpoint reads at
most :data:`TOKEN_BODY_MAX` bytes, never reads credentials from the query string, runs a bounded
number of secret checks at once and slows repeated failures per client id
(:mod:`tenantry.adapters.http.throttle`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import unquote_plus

from fastapi import FastAPI, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenantry.adapters.auth.clients import ClientAuth, Principal
from tenantry.adapters.http import schemas
from tenantry.adapters.http.throttle import Busy, FailureThrottle, Gate
from tenantry.domain.errors import Unauthenticated
from tenantry.domain.sign_in_errors import AuthorizationCodeRejected

TOKEN_PATH: Final = "/oauth/token"
CLIENT_ID_MAX: Final = 200
CLIENT_SECRET_MAX: Final = 500
TOKEN_BODY_MAX: Final = 4096
"""The largest token request body read (a form of a few short fields)."""
CODE_MAX: Final = 100
REDIRECT_URI_MAX: Final = 2048
_QUERY_CREDENTIALS: Final = frozenset({"client_id", "client_secret"})
GRANT_TYPES: Final = ("client_credentials", "authorization_code")
CodeGrant = Callable[[str, str, str], tuple[str, int]]
"""Redeems ``(client_id, code, redirect_uri)`` for ``(id_token, expires_in)`` (the hosted
sign-in, :mod:`tenantry.adapters.http.sign_in`); raises ``AuthorizationCodeRejected``."""


_TOKEN_REQUEST: Final = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["grant_type"],
                "properties": {
                    "grant_type": {"type": "string", "enum": list(GRANT_TYPES)},
                    "code": {"type": "string", "maxLength": CODE_MAX},
                    "redirect_uri": {"type": "string", "maxLength": REDIRECT_URI_MAX},
                    "client_id": {"type": "string", "maxLength": CLIENT_ID_MAX},
                    "client_secret": {"type": "string", "maxLength": CLIENT_SECRET_MAX},
                },
            }
        }
    },
}
"""The form the token endpoint reads itself (not through FastAPI's parameters: their validation
errors would not be OAuth errors)."""
_TOKEN_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    400: {
        "model": schemas.TokenError,
        "description": "invalid_request (not a form, a field missing or too long, credentials "
        "both in the form and in HTTP Basic, or in the query string) or unsupported_grant_type.",
    },
    401: {
        "model": schemas.TokenError,
        "description": "invalid_client: an unknown client or a wrong secret.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    413: {
        "model": schemas.TokenError,
        "description": f"invalid_request: the body is larger than {TOKEN_BODY_MAX} bytes.",
    },
    429: {
        "model": schemas.TokenError,
        "description": "slow_down: too many failed attempts for this client id; retry after "
        "Retry-After seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
    503: {
        "model": schemas.TokenError,
        "description": "temporarily_unavailable: too many token requests at once; retry after "
        "Retry-After seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


class _Refused(Exception):
    """A token request refused before the credentials are checked."""

    def __init__(
        self, status_code: int, error: str, description: str, retry_after: int | None = None
    ) -> None:
        super().__init__(description)
        self.status_code = status_code
        self.error = error
        self.description = description
        self.retry_after = retry_after


async def _bounded_body(request: Request) -> None:
    """Reads the body, refusing (413) one larger than :data:`TOKEN_BODY_MAX` before reading more."""
    too_large = _Refused(
        413, "invalid_request", f"the request body must be at most {TOKEN_BODY_MAX} bytes"
    )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > TOKEN_BODY_MAX:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > TOKEN_BODY_MAX:
            raise too_large
        chunks.append(chunk)
    request._body = b"".join(chunks)  # what request.form() reads from


async def _credentials(request: Request) -> tuple[str, str, dict[str, str]]:
    """The client's id and secret, from the form or from HTTP Basic (RFC 6749 §2.3.1: one of
    them, not both), and the form."""
    if _QUERY_CREDENTIALS & request.query_params.keys():
        raise _Refused(400, "invalid_request", "credentials must not be sent in the query string")
    await _bounded_body(request)
    try:
        async with request.form() as form:
            fields = {name: value for name, value in form.items() if isinstance(value, str)}
    except (StarletteHTTPException, ValueError):  # a malformed multipart body or encoding
        raise _Refused(400, "invalid_request", "the body must be a form") from None
    grant_type = fields.get("grant_type")
    if grant_type is None:
        raise _Refused(400, "invalid_request", "grant_type is required")
    if grant_type not in GRANT_TYPES:
        raise _Refused(
            400, "unsupported_grant_type", "grant_type must be one of " + ", ".join(GRANT_TYPES)
        )
    basic = _basic_credentials(request)
    in_form = {"client_id", "client_secret"} & fields.keys()
    if basic is not None and in_form:
        raise _Refused(
            400, "invalid_request", "send the credentials either in HTTP Basic or in the form"
        )
    if basic is None:
        for name in ("client_id", "client_secret"):
            if name not in fields:
                raise _Refused(400, "invalid_request", f"{name} is required")
        basic = fields["client_id"], fields["client_secret"]
    client_id, client_secret = basic
    if len(client_id) > CLIENT_ID_MAX or len(client_secret) > CLIENT_SECRET_MAX:
        raise _Refused(400, "invalid_request", "client_id or client_secret is too long")
    return client_id, client_secret, fields


def _token_error(
    status_code: int, error: str, description: str, retry_after: int | None = None
) -> JSONResponse:
    body = schemas.TokenError(
        error=error,
        error_description=description,
        error_code=error,
        code=error,
        message=description,
        details={},
    )
    headers = {"WWW-Authenticate": "Basic"} if status_code == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body.model_dump(), status_code=status_code, headers=headers or None)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """HTTP Basic credentials; RFC 6749 §2.3.1: id and secret are form-urlencoded inside.
    A malformed Basic header is an ``invalid_request``."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _Refused(400, "invalid_request", "the Basic credentials are malformed") from None
    if not sep:
        raise _Refused(400, "invalid_request", "the Basic credentials are malformed")
    return unquote_plus(client_id), unquote_plus(secret)


class BearerAuth(OAuth2):
    """The API routes' authentication: the bearer token of ``Authorization``, checked by
    :class:`ClientAuth`. One dependency (it is also the OAuth 2.0 security scheme of the OpenAPI
    document). A token this worker verified before, whose client's secret version it read within
    ``revocation_delay``, is answered on the event loop; anything else is checked in a thread
    (signature, database read)."""

    def __init__(self, clients: ClientAuth) -> None:
        super().__init__(
            flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_PATH)),
            scheme_name="client_credentials",
            description="OAuth 2.0 client credentials: POST /oauth/token for a bearer token.",
            auto_error=False,
        )
        self.clients = clients

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("a bearer token is required (POST /oauth/token)")
        principal = self.clients.cached(token)
        if principal is None:
            principal = await run_in_threadpool(self.clients.verify, token)
        return principal


def add_token_routes(
    app: FastAPI, clients: ClientAuth, code_grant: CodeGrant | None = None
) -> None:
    """Adds ``POST /oauth/token`` and ``GET /keys`` for ``clients`` to ``app``; with
    ``code_grant``, the token endpoint also redeems sign-in codes
    (``grant_type=authorization_code``) for ID tokens."""
    gate = Gate()
    throttle = FailureThrottle()

    async def issue(client_id: str, client_secret: str) -> tuple[str, int]:
        wait = throttle.retry_after(client_id)
        if wait is not None:
            raise _Refused(429, "slow_down", "too many failed attempts; retry later", wait)
        try:
            async with gate.slot():
                issued = await run_in_threadpool(clients.issue_token, client_id, client_secret)
        except Busy as busy:
            raise _Refused(
                503, "temporarily_unavailable", "too many token requests", busy.retry_after
            ) from None
        except Unauthenticated:
            throttle.failed(client_id)
            raise
        throttle.succeeded(client_id)
        return issued

    async def redeem(client_id: str, client_secret: str, fields: dict[str, str]) -> JSONResponse:
        """The ID token of a sign-in code (RFC 6749 §4.1.3): the client authenticates, the code
        was issued to it for this ``redirect_uri``."""
        if code_grant is None:
            raise _Refused(400, "unsupported_grant_type", "grant_type must be client_credentials")
        for name, most in (("code", CODE_MAX), ("redirect_uri", REDIRECT_URI_MAX)):
            if not fields.get(name):
                raise _Refused(400, "invalid_request", f"{name} is required")
            if len(fields[name]) > most:
                raise _Refused(400, "invalid_request", f"{name} must be at most {most} characters")
        await issue_check(client_id, client_secret)
        try:
            id_token, expires_in = await run_in_threadpool(
                code_grant, client_id, fields["code"], fields["redirect_uri"]
            )
        except AuthorizationCodeRejected as rejected:
            raise _Refused(400, "invalid_grant", rejected.message) from None
        return JSONResponse(
            {"id_token": id_token, "token_type": "Bearer", "expires_in": expires_in},
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def issue_check(client_id: str, client_secret: str) -> None:
        wait = throttle.retry_after(client_id)
        if wait is not None:
            raise _Refused(429, "slow_down", "too many failed attempts; retry later", wait)
        try:
            await run_in_threadpool(clients.authenticate, client_id, client_secret)
        except Unauthenticated:
            throttle.failed(client_id)
            raise
        throttle.succeeded(client_id)

    @app.post(
        TOKEN_PATH,
        tags=["auth"],
        summary="Get an access token (client credentials) or a sign-in's ID token (code)",
        description="The client authenticates with client_id and client_secret in the form, or "
        "with HTTP Basic. `grant_type=authorization_code` (with `code` and `redirect_uri`) "
        "redeems a sign-in's one-time code for an ID token. Errors follow RFC 6749 section 5.2.",
        response_model=schemas.TokenResponse,
        responses=_TOKEN_RESPONSES,
        openapi_extra={"requestBody": _TOKEN_REQUEST},
    )
    async def token(request: Request) -> JSONResponse:
        try:
            client_id, client_secret, fields = await _credentials(request)
            if fields["grant_type"] == "authorization_code":
                return await redeem(client_id, client_secret, fields)
            access, expires_in = await issue(client_id, client_secret)
        except _Refused as refused:
            return _token_error(
                refused.status_code, refused.error, refused.description, refused.retry_after
            )
        except Unauthenticated:
            return _token_error(401, "invalid_client", "invalid client credentials")
        return JSONResponse(
            schemas.TokenResponse(access_token=access, expires_in=expires_in).model_dump(),
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    @app.get("/keys", tags=["auth"], summary="The public signing keys (JWKS)")
    async def keys() -> dict[str, Any]:
        return await run_in_threadpool(clients.jwks)
