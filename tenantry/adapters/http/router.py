"""The REST routes, as an ``APIRouter`` to mount in any FastAPI application.

    from fastapi import FastAPI
    from tenantry import connect
    from tenantry.adapters.http import create_router

    app = FastAPI()
    app.include_router(create_router(connect("sqlite:///tenantry.db"), auth=my_auth_dependency))

Every route maps tenantry's errors to JSON on its own (no exception handler needs installing in
the host application), limits body size, and honours ``Idempotency-Key``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends

from tenantry.adapters.http.access import access_guard
from tenantry.adapters.http.errors import ERROR_RESPONSES
from tenantry.adapters.http.idempotency import IdempotencyStore
from tenantry.adapters.http.routes import (
    connection_tests,
    connections,
    directories,
    domains,
    history,
    lifecycle,
    lists,
    members,
    organizations,
    portal_links,
    roles,
    settings,
)
from tenantry.adapters.http.routes import users as user_routes
from tenantry.adapters.http.routing import (
    DEFAULT_MAX_BODY_BYTES,
    Lists,
    RouterContext,
    idempotency_guard,
    route_class,
)
from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry


async def _anonymous() -> str:
    return "anonymous"


def create_router(
    tenantry: Tenantry,
    *,
    auth: Callable[..., Any] | None,
    idempotency: IdempotencyStore | None = None,
    principal_scope: Callable[[Any], str] = str,
    principal_actor: Callable[[Any], str] = lambda _: "system",
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    projections: ProjectionStore | None = None,
    read_timeout: float = 5.0,
) -> APIRouter:
    """The REST API over ``tenantry``.

    ``auth`` is a FastAPI dependency that authenticates the caller (raise to refuse) and returns
    the principal; ``None`` leaves the routes open (only behind your own gateway). A principal
    with a ``grant`` (tenantry's own :class:`~tenantry.adapters.auth.clients.Principal`) is held
    to its scopes and organizations (:mod:`tenantry.adapters.http.access`); any other may do
    everything.
    ``principal_scope`` turns the principal into the scope of its idempotency keys, and
    ``principal_actor`` into the actor its writes record (default ``"system"``, as the Python
    API's; the server's API clients record ``client:<client_id>``).
    ``idempotency`` stores ``Idempotency-Key`` responses (default: in this process's memory;
    pass ``IdempotencyStore(engine_for(database_url))`` when several workers serve the API).
    ``projections`` (the application's :class:`ProjectionStore`) adds the list and search routes;
    they wait until the projection includes every write committed before the request, at most
    ``read_timeout`` seconds (then ``503 projection_behind`` with ``Retry-After``).
    """
    context = RouterContext(
        tenantry=tenantry,
        idempotency=idempotency or IdempotencyStore.in_memory(),
        max_body_bytes=max_body_bytes,
        lists=Lists(projections, read_timeout) if projections is not None else None,
        actor_of=principal_actor,
    )
    authenticate = auth or _anonymous
    router = APIRouter(
        route_class=route_class(context),
        dependencies=[
            Depends(access_guard(authenticate)),
            Depends(idempotency_guard(authenticate, principal_scope)),
        ],
        responses=ERROR_RESPONSES,
    )
    if projections is not None:
        lists.routes.mount(router)
        history.routes.mount(router)
    for group in (organizations, settings, members):
        group.routes.mount(router)
    lifecycle.routes.mount(router)
    connection_tests.routes.mount(router)
    connections.routes.mount(router)
    domains.routes.mount(router)
    directories.routes.mount(router)
    portal_links.routes.mount(router)
    roles.routes.mount(router)
    if projections is not None:  # a user is answered with their memberships, read from them
        user_routes.routes.mount(router)
    return router
