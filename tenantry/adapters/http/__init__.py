"""The HTTP adapter: the REST API as a mountable router and as a standalone server.

Needs the ``http`` extra (``pip install 'tenantry[http]'``). Names load on first use, so that
the ``tenantry`` command line starts without importing the web stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantry.adapters.auth.clients import ClientAuth, Principal
    from tenantry.adapters.http.app import create_app
    from tenantry.adapters.http.idempotency import IdempotencyStore
    from tenantry.adapters.http.router import create_router
    from tenantry.adapters.http.store import engine_for

_WHERE = {
    "create_app": "tenantry.adapters.http.app",
    "ClientAuth": "tenantry.adapters.auth.clients",
    "Principal": "tenantry.adapters.auth.clients",
    "IdempotencyStore": "tenantry.adapters.http.idempotency",
    "create_router": "tenantry.adapters.http.router",
    "engine_for": "tenantry.adapters.http.store",
}

__all__ = [
    "ClientAuth",
    "IdempotencyStore",
    "Principal",
    "create_app",
    "create_router",
    "engine_for",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(name)
    return getattr(import_module(_WHERE[name]), name)
