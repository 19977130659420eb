"""One gRPC call's frame: the caller's bearer token checked as the REST API checks it, the
application run in a worker thread, and every refusal answered through the error table
(:mod:`tenantry.adapters.grpc.errors`) — no input reaches an unmapped failure."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext

from tenantry.adapters.auth.clients import ClientAuth, Principal
from tenantry.adapters.auth.scopes import Grant
from tenantry.adapters.grpc.errors import internal_error, rpc_error
from tenantry.domain.errors import TenantryError, Unauthenticated

log = logging.getLogger("tenantry.grpc")

REQ = TypeVar("REQ")
RES = TypeVar("RES")


@dataclass(frozen=True)
class Caller:
    """Who makes the call: the actor its writes record and what its token grants."""

    actor: str
    grant: Grant


def bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("no access token: send the metadata authorization: Bearer <token>")
    return token.strip()


def principal_of(clients: ClientAuth, authorization: str | None) -> Principal:
    token = bearer_token(authorization)
    return clients.cached(token) or clients.verify(token)


def rpc(
    clients: ClientAuth, scope: str, work: Callable[[REQ, Caller], RES]
) -> Callable[[REQ, RequestContext[Any, Any]], Awaitable[RES]]:
    """A unary handler running ``work`` for a caller whose token holds ``scope``."""

    def run(request: REQ, authorization: str | None) -> RES:
        principal = principal_of(clients, authorization)
        grant = principal.grant
        grant.require(scope)
        return work(request, Caller(principal.actor, grant))

    async def handler(request: REQ, ctx: RequestContext[Any, Any]) -> RES:
        authorization = ctx.request_headers().get("authorization")
        try:
            return await asyncio.to_thread(run, request, authorization)
        except TenantryError as e:
            raise rpc_error(e) from None
        except ConnectError:
            raise
        except Exception:
            log.exception("gRPC %s failed", ctx.method().name)
            raise internal_error() from None

    return handler
