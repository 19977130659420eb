"""OAuth 2.0 client credentials over HTTP: the token endpoint and the JWKS of the standalone
server, and the bearer-token dependency its API routes run.

``POST /oauth/token`` trades an API client's id and secret (form fields or HTTP Basic) for an
access token; ``GET /keys`` serves the public keys that verify it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Final

from fastapi import FastAPI, Form, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2
from starlette.concurrency import run_in_threadpool

from tenantry.adapters.http import schemas
from tenantry.adapters.http.auth import ClientAuth, Principal
from tenantry.adapters.http.errors import Unauthenticated

TOKEN_PATH: Final = "/oauth/token"


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
        response_model=schemas.TokenResponse,
        responses={400: {"model": schemas.TokenError}, 401: {"model": schemas.TokenError}},
    )
    async def token(
        request: Request,
        grant_type: Annotated[str | None, Form()] = None,
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> Any:
        if grant_type != "client_credentials":
            return _token_error(
                400, "unsupported_grant_type", "grant_type must be client_credentials"
            )
        if client_id is None or client_secret is None:
            basic = _basic_credentials(request)
            if basic is None:
                return _token_error(
                    400, "invalid_request", "client_id and client_secret are required"
                )
            client_id, client_secret = basic
        if len(client_id) > 200 or len(client_secret) > 500:
            return _token_error(400, "invalid_request", "client_id or client_secret is too long")
        try:
            access, expires_in = await run_in_threadpool(
                clients.issue_token, client_id, client_secret
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
