"""The HTTP adapter: the REST API as a mountable router and as a standalone server."""

from tenantry.adapters.http.app import create_app
from tenantry.adapters.http.auth import ClientAuth, Principal
from tenantry.adapters.http.idempotency import IdempotencyStore
from tenantry.adapters.http.router import create_router
from tenantry.adapters.http.store import engine_for

__all__ = [
    "ClientAuth",
    "IdempotencyStore",
    "Principal",
    "create_app",
    "create_router",
    "engine_for",
]
