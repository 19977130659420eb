"""The HTTP adapter: the REST API as a mountable router and as a standalone server.

Needs the ``http`` extra (``pip install 'tenantry[http]'``). Names load on first use, so that
the ``tenantry`` command line starts without importing the web stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantry.adapters.http.app import create_app
    from tenantry.adapters.http.auth import ClientAuth, Principal
    from tenantry.adapters.http.idempotency import IdempotencyStore
    from tenantry.adapters.http.router import create_router
    from tenantry.adapters.http.store import engine_for

_WHERE = {
    "create_app": "app",
    "ClientAuth": "auth",
    "Principal": "auth",
    "IdempotencyStore": "idempotency",
    "create_router": "router",
    "engine_for": "store",
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
    return getattr(import_module(f"tenantry.adapters.http.{_WHERE[name]}"), name)
