"""The standalone server: the REST router behind OAuth 2.0 client credentials.

``create_app(database_url)`` builds everything (nothing is built at import time); ``tenantry
serve`` runs it with uvicorn. ``POST /oauth/token`` issues tokens, ``GET /keys`` serves the JWKS,
``/docs`` the interactive docs and ``/openapi.json`` the spec.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Final

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette import status
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from tenantry.adapters import readiness
from tenantry.adapters.auth.authorization_codes import AuthorizationCodes
from tenantry.adapters.auth.clients import (
    DEFAULT_TOKEN_TTL,
    REVOCATION_DELAY,
    ClientAuth,
)
from tenantry.adapters.auth.id_tokens import ID_TOKEN_LIFETIME, IdTokens
from tenantry.adapters.database import connect, database_of
from tenantry.adapters.expiry_schedule import DEFAULT_INTERVAL, INTERVAL_ENV, ExpirySchedule
from tenantry.adapters.http import schemas
from tenantry.adapters.http.errors import (
    RETRY_AFTER_SECONDS,
    error_response,
    status_response,
    validation_response,
)
from tenantry.adapters.http.idempotency import IdempotencyStore
from tenantry.adapters.http.oauth import BearerAuth, add_token_routes
from tenantry.adapters.http.requests import RequestIds, internal_handler, unavailable_handler
from tenantry.adapters.http.router import create_router
from tenantry.adapters.http.routing import DEFAULT_MAX_BODY_BYTES, UNAVAILABLE_ERRORS
from tenantry.adapters.http.scim import add_scim_routes
from tenantry.adapters.http.sign_in import add_sign_in_routes
from tenantry.adapters.policy_env import policy_from_env
from tenantry.adapters.projections import ProjectionStore
from tenantry.adapters.projections.due_invitations import PendingInvitationIndex
from tenantry.adapters.projections.supervision import FollowerHealth, follow_supervised
from tenantry.adapters.scim.endpoint import ScimEndpoint
from tenantry.adapters.scim.storage import DirectoryStorage
from tenantry.adapters.sign_in.service import SignIn
from tenantry.adapters.sso.replay_table import SqlReplayCache
from tenantry.adapters.web import WebSettings, add_web_routes
from tenantry.adapters.web.pages import status_page
from tenantry.adapters.web.sessions import kind_of
from tenantry.application.app import Tenantry
from tenantry.application.sso_config import SsoConfig
from tenantry.domain.errors import Unauthenticated
from tenantry.domain.policies import ApplicationPolicy

TOKEN_TTL_ENV: Final = "TENANTRY_HTTP_TOKEN_TTL_SECONDS"
_METHODS: Final = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
FOLLOW_ENV: Final = "TENANTRY_HTTP_FOLLOW_PROJECTIONS"
"""``0``: the workers leave the projections to the follower process ``tenantry serve`` runs."""


def _allowed_methods(request: Request) -> list[str]:
    """Every method the request's path answers to. Starlette's 405 names only the methods of the
    first route whose path matches, and a path here has a route per method."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


def create_app(
    database_url: str | None = None,
    *,
    tenantry: Tenantry | None = None,
    token_ttl: timedelta = DEFAULT_TOKEN_TTL,
    revocation_delay: timedelta = REVOCATION_DELAY,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    follow_projections: bool = True,
    ready_max_lag: int = readiness.DEFAULT_MAX_LAG,
    ready_stale_after: float = readiness.DEFAULT_STALE_AFTER,
    expiry_interval: float | None = None,
    policy: ApplicationPolicy | None = None,
    sso_http: httpx.Client | None = None,
    web: WebSettings | None = None,
) -> FastAPI:
    """The REST API on ``database_url`` (default ``$TENANTRY_DATABASE_URL``, else
    ``sqlite:///tenantry.db``), with its API clients and idempotency keys in the same database.
    Pass ``tenantry`` to serve an application you built (it is then yours to close); its own
    database is used.
    ``revocation_delay``: how long a client rotated or deleted by another process may still call
    (this worker re-reads secret versions that often).
    ``follow_projections``: keep the projections (lists, search) caught up in a thread of this
    application while it runs; ``False`` when another process follows them (``tenantry serve``
    runs one follower process for all its workers). Lists read their writes either way.
    ``ready_max_lag``, ``ready_stale_after``: when ``/readyz`` answers 503 (see
    :mod:`tenantry.adapters.readiness`).
    ``expiry_interval``: run the invitation-expiry sweep every that many seconds, once across
    every server on the database (``None``: not at all; ``tenantry serve`` runs it hourly).
    ``policy``: the application's own policies (restore period, session policy, sign-in
    methods) for an application built here (``tenantry serve``: from the environment, see
    :mod:`tenantry.adapters.policy_env`).
    ``sso_http``: the HTTP client that reaches OIDC providers (default: a new ``httpx.Client``).
    ``web``: the admin portal's and dashboard's branding and framing (default: from the
    environment, see :mod:`tenantry.adapters.web.settings`)."""
    owned = tenantry is None
    t = tenantry if tenantry is not None else connect(database_url, policy=policy)
    if owned:  # SSO's base URL and secret key: $TENANTRY_SSO_BASE_URL, $TENANTRY_SSO_SECRET_KEY
        t.sso_config = SsoConfig.from_env(os.environ)
    engine = database_of(t).adapters_engine()
    clients = ClientAuth(engine, token_ttl=token_ttl, revocation_delay=revocation_delay, audit=t)
    store = IdempotencyStore(engine)

    authenticate = BearerAuth(clients)
    views = ProjectionStore(t)
    follower_health = FollowerHealth(views.engine)
    index = PendingInvitationIndex(views)  # the sweep reads only due invitations
    schedule = (
        ExpirySchedule(t, engine, interval=expiry_interval, index=index)
        if expiry_interval
        else None
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        follower = threading.Thread(
            target=follow_supervised,
            args=(views, stop),
            name="tenantry-projections",
            daemon=True,
        )
        sweeper = threading.Thread(
            target=schedule.run_forever if schedule else None,
            args=(stop,),
            name="tenantry-expiry",
            daemon=True,
        )
        if follow_projections:
            follower.start()
        if schedule is not None:
            sweeper.start()
        try:
            yield
        finally:
            stop.set()
            if follow_projections:
                follower.join(timeout=30)
            if schedule is not None:
                sweeper.join(timeout=30)
            views.close()
            if owned:
                t.close()
            engine.dispose()
            if sso_http is None:
                oidc_http.close()

    app = FastAPI(
        title="tenantry",
        version="1",
        summary="Organizations, settings, seat limits, members and invitations.",
        lifespan=lifespan,
        docs_url=None,  # served by the web pages with Swagger UI's own files (no CDN)
        redoc_url=None,
    )
    app.state.tenantry = t
    app.state.clients = clients
    app.state.projections = views

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = exc.headers
        if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            headers = {"Allow": ", ".join(_allowed_methods(request))}
        if kind_of(request) is not None:  # under /portal or /dashboard: a page, not JSON
            return status_page(request, exc.status_code, headers)
        return status_response(exc.status_code, str(exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc)

    app.add_middleware(RequestIds)
    for unavailable in UNAVAILABLE_ERRORS:
        app.add_exception_handler(unavailable, unavailable_handler)
    app.add_exception_handler(Exception, internal_handler)

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        return error_response(exc)

    codes = AuthorizationCodes(engine, clients.clock)
    id_tokens = IdTokens(clients.keys, lambda: t.sso_config.base_url, clients.clock)
    oidc_http = sso_http or httpx.Client(timeout=10)
    sign_in = SignIn(t, SqlReplayCache(engine), oidc_http, clients.clock)
    app.state.id_tokens = id_tokens

    def code_grant(client_id: str, code: str, redirect_uri: str) -> tuple[str, int]:
        redeemed = codes.redeem(code, client_id, redirect_uri)
        grant = redeemed.grant
        token = id_tokens.issue(grant, client_id, grant.get("nonce"))
        return token, int(ID_TOKEN_LIFETIME.total_seconds())

    add_token_routes(app, clients, code_grant)
    add_sign_in_routes(app, t, sign_in, codes)
    add_scim_routes(app, ScimEndpoint(t, lambda directory_id: DirectoryStorage(t, directory_id)))
    add_web_routes(app, t, web or WebSettings.from_env(os.environ))

    @app.get(
        "/healthz",
        tags=["health"],
        summary="Liveness: the server answers (no token needed, the database is not read)",
        response_model=schemas.Health,
    )
    async def health() -> schemas.Health:
        return schemas.Health(status="ok")

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: projections caught up and not failed, follower alive (503 if not)",
        response_model=readiness.Readiness,
        responses={503: {"model": readiness.Readiness, "description": "Not ready."}},
    )
    def ready() -> Response:
        state = readiness.check(
            views,
            follower_health,
            max_lag=ready_max_lag,
            stale_after=ready_stale_after,
            sweep=_sweep_of(schedule),
        )
        code = status.HTTP_200_OK if state.ready else status.HTTP_503_SERVICE_UNAVAILABLE
        headers = None if state.ready else {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return Response(
            state.model_dump_json(),
            status_code=code,
            headers=headers,
            media_type="application/json",
        )

    app.include_router(
        create_router(
            t,
            auth=authenticate,
            idempotency=store,
            principal_scope=lambda p: p.client_id,
            principal_actor=lambda p: p.actor,
            max_body_bytes=max_body_bytes,
            projections=views,
        )
    )
    return app


def app_from_env() -> FastAPI:
    """The factory ``tenantry serve`` gives uvicorn, so every worker builds its own app."""
    ttl = int(os.environ.get(TOKEN_TTL_ENV, int(DEFAULT_TOKEN_TTL.total_seconds())))
    follow = os.environ.get(FOLLOW_ENV, "1") != "0"
    max_lag = int(os.environ.get(readiness.MAX_LAG_ENV, readiness.DEFAULT_MAX_LAG))
    stale = float(os.environ.get(readiness.STALE_AFTER_ENV, readiness.DEFAULT_STALE_AFTER))
    expiry = float(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL))
    return create_app(
        policy=policy_from_env(),
        token_ttl=timedelta(seconds=ttl),
        follow_projections=follow,
        ready_max_lag=max_lag,
        ready_stale_after=stale,
        expiry_interval=expiry or None,
    )


def _sweep_of(
    schedule: ExpirySchedule | None,
) -> Callable[[], readiness.SweepReadiness | None] | None:
    if schedule is None:
        return None

    def last() -> readiness.SweepReadiness:
        run = schedule.last_run()
        return readiness.SweepReadiness(
            last_run_at=run.last_run_at, expired=run.expired, error=run.error
        )

    return last
