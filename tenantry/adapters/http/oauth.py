"""OAuth 2.0 client credentials over HTTP: the token endpoint and the JWKS of the standalone
server, and the bearer-token dependency its API routes run.

``POST /oauth/token`` trades an API client's id and secret (form fields or HTTP Basic) for an
access token; ``GET /keys`` serves the public keys that verify it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenantry.adapters.auth.clients import ClientAuth, Principal
from tenantry.adapters.http import schemas
from tenantry.domain.errors import Unauthenticated

TOKEN_PATH: Final = "/oauth/token"
CLIENT_ID_MAX: Final = 200
CLIENT_SECRET_MAX: Final = 500


_TOKEN_REQUEST: Final = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["grant_type"],
                "properties": {
                    "grant_type": {"type": "string", "enum": ["client_credentials"]},
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
        "description": "invalid_request (not a form, credentials missing or too long) or "
        "unsupported_grant_type.",
    },
    401: {
        "model": schemas.TokenError,
        "description": "invalid_client: an unknown client or a wrong secret.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
}


class _Refused(Exception):
    """A token request refused before the credentials are checked."""

    def __init__(self, status_code: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status_code = status_code
        self.error = error
        self.description = description


async def _credentials(request: Request) -> tuple[str, str]:
    """The client's id and secret, from the form or from HTTP Basic."""
    try:
        async with request.form() as form:
            fields = {name: value for name, value in form.items() if isinstance(value, str)}
    except (StarletteHTTPException, ValueError):  # a malformed multipart body or encoding
        raise _Refused(400, "invalid_request", "the body must be a form") from None
    if fields.get("grant_type") != "client_credentials":
        raise _Refused(400, "unsupported_grant_type", "grant_type must be client_credentials")
    client_id, client_secret = fields.get("client_id"), fields.get("client_secret")
    if client_id is None or client_secret is None:
        basic = _basic_credentials(request)
        if basic is None:
            raise _Refused(400, "invalid_request", "client_id and client_secret are required")
        client_id, client_secret = basic
    if len(client_id) > CLIENT_ID_MAX or len(client_secret) > CLIENT_SECRET_MAX:
        raise _Refused(400, "invalid_request", "client_id or client_secret is too long")
    return client_id, client_secret


def _token_error(status_code: int, error: str, description: str) -> JSONResponse:
    body = schemas.TokenError(
        error=error, error_description=description, code=error, message=description, details={}
    )
    headers = {"WWW-Authenticate": "Basic"} if status_code == 401 else None
    return JSONResponse(body.model_dump(), status_code=status_code, headers=headers)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


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


def add_token_routes(app: FastAPI, clients: ClientAuth) -> None:
    """Adds ``POST /oauth/token`` and ``GET /keys`` for ``clients`` to ``app``."""

    @app.post(
        TOKEN_PATH,
        tags=["auth"],
        summary="Get an access token (client credentials)",
        description="The client authenticates with client_id and client_secret in the form, or "
        "with HTTP Basic. Errors follow RFC 6749 section 5.2.",
        response_model=schemas.TokenResponse,
        responses=_TOKEN_RESPONSES,
        openapi_extra={"requestBody": _TOKEN_REQUEST},
    )
    async def token(request: Request) -> JSONResponse:
        try:
            client_id, client_secret = await _credentials(request)
            access, expires_in = await run_in_threadpool(
                clients.issue_token, client_id, client_secret
            )
        except _Refused as refused:
            return _token_error(refused.status_code, refused.error, refused.description)
        except Unauthenticated:
            return _token_error(401, "invalid_client", "invalid client credentials")
        return JSONResponse(
            schemas.TokenResponse(access_token=access, expires_in=expires_in).model_dump(),
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    @app.get("/keys", tags=["auth"], summary="The public signing keys (JWKS)")
    async def keys() -> dict[str, Any]:
        return await run_in_threadpool(clients.jwks)
