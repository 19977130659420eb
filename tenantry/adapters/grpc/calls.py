"""One gRPC call's frame: the caller's bearer token checked as the REST API checks it, the
application run in a worker thread, and every refusal answered through the error table
(:mod:`tenantry.adapters.grpc.errors`) — no input reaches an unmapped failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext

from tenantry.adapters.auth.clients import ClientAuth, Principal
from tenantry.adapters.auth.scopes import Grant
from tenantry.adapters.grpc.errors import internal_error, rpc_error
from tenantry.domain.errors import (
    NothingChanged,
    OrganizationNotFound,
    TenantryError,
    Unauthenticated,
)

log = logging.getLogger("tenantry.grpc")

REQ = TypeVar("REQ")
T = TypeVar("T")
RES = TypeVar("RES")


@dataclass(frozen=True)
class Caller:
    """Who makes the call: the actor its writes record and what its token grants."""

    actor: str
    grant: Grant

    def organization(self, organization_id: str) -> str:
        """``organization_id``, if this caller may see it; else not found, as if it did not
        exist (a client restricted to some organizations)."""
        if not self.grant.sees(organization_id):
            raise OrganizationNotFound(organization_id)
        return organization_id


def bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("no access token: send the metadata authorization: Bearer <token>")
    return token.strip()


MAX_AUTHORIZATIONS: Final = 2
"""How many ``authorization`` values a call may carry. The hosted Python SDK sends two: the
token its channel was built with (the first it fetched, kept for good) and its current one, in
the call's metadata; after a refresh only the current one is valid, whatever their order."""


def principal_of(clients: ClientAuth, authorizations: Sequence[str]) -> Principal:
    """The caller of the first valid bearer token among the call's ``authorization`` values."""
    if len(authorizations) > MAX_AUTHORIZATIONS:
        raise Unauthenticated(f"at most {MAX_AUTHORIZATIONS} authorization values")
    refused: list[Unauthenticated] = []
    for authorization in authorizations or [""]:
        try:
            token = bearer_token(authorization)
            return clients.cached(token) or clients.verify(token)
        except Unauthenticated as e:
            refused.append(e)
    raise refused[0]


def unchanged_ok(change: Callable[[], T], current: Callable[[], T]) -> T:
    """``change()``; asking for what already is answers ``current()``, as the REST API does."""
    try:
        return change()
    except NothingChanged:
        return current()


def rpc(
    clients: ClientAuth, scope: str, work: Callable[[REQ, Caller], RES]
) -> Callable[[REQ, RequestContext[Any, Any]], Awaitable[RES]]:
    """A unary handler running ``work`` for a caller whose token holds ``scope``."""

    def run(request: REQ, authorizations: Sequence[str]) -> RES:
        principal = principal_of(clients, authorizations)
        grant = principal.grant
        grant.require(scope)
        return work(request, Caller(principal.actor, grant))

    async def handler(request: REQ, ctx: RequestContext[Any, Any]) -> RES:
        authorizations = list(ctx.request_headers().getall("authorization"))
        try:
            return await asyncio.to_thread(run, request, authorizations)
        except TenantryError as e:
            raise rpc_error(e) from None
        except ConnectError:
            raise
        except Exception:
            log.exception("gRPC %s failed", ctx.method().name)
            raise internal_error() from None

    return handler
