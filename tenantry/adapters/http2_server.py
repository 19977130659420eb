"""``tenantry serve --http2``: the REST API and the hosted SDKs' gRPC services on one port under
Hypercorn — HTTP/1.1 and HTTP/2, over TLS (ALPN ``h2``, ``http/1.1``) or in plain text (h2c with
prior knowledge, which the Node SDK speaks for an ``http://`` URL). uvicorn has no HTTP/2, so
the default server stays uvicorn for REST-only deployments (benchmarks/http_servers.py measures
the two side by side). SIGTERM and SIGINT stop it gracefully: calls in flight finish.

Several workers: Hypercorn's own multiprocess runner binds the port once and starts each worker
process from :data:`APPLICATION` (each builds its app from the environment ``tenantry serve``
set, as uvicorn's workers do); the projection follower and the expiry lease stay outside the
workers (:mod:`tenantry.adapters.server`, :mod:`tenantry.adapters.expiry_schedule`)."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.run import run as run_processes

from tenantry.adapters.grpc.asgi import grpc_services, with_grpc
from tenantry.adapters.http.app import app_from_env

GRACEFUL_TIMEOUT = 30.0
APPLICATION = f"{__name__}:app_with_grpc_from_env()"
"""What each worker process serves (Hypercorn evaluates the part after the colon)."""


def with_services(app: Any) -> Any:
    """The REST API ``app`` (built by ``app_from_env``) with the gRPC services beside it."""
    return with_grpc(
        app, grpc_services(app.state.tenantry, app.state.clients, app.state.projections)
    )


def app_with_grpc_from_env() -> Any:
    return with_services(app_from_env())


def run(app: Any, *, host: str, port: int, tls: tuple[Path, Path] | None, log_level: str) -> None:
    """Serves ``app`` (the REST API built by ``app_from_env``) with the gRPC services beside it
    until SIGTERM or SIGINT."""
    asyncio.run(_serve(with_services(app), _config(host, port, tls, log_level)))


def run_workers(
    workers: int, *, host: str, port: int, tls: tuple[Path, Path] | None, log_level: str
) -> int:
    """Serves :data:`APPLICATION` in ``workers`` processes until SIGTERM or SIGINT (Hypercorn's
    runner then lets each worker finish its calls in flight); returns the exit code."""
    config = _config(host, port, tls, log_level)
    config.workers = workers
    config.application_path = APPLICATION
    return run_processes(config)


def _config(host: str, port: int, tls: tuple[Path, Path] | None, log_level: str) -> Config:
    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.loglevel = log_level.upper()
    config.errorlog = "-"  # stderr: stdout carries only data
    config.accesslog = logging.getLogger("hypercorn.access") if log_level == "debug" else None
    config.graceful_timeout = GRACEFUL_TIMEOUT
    if tls is not None:
        config.certfile, config.keyfile = str(tls[0]), str(tls[1])
        config.alpn_protocols = ["h2", "http/1.1"]
    return config


async def _serve(app: Any, config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await serve(app, config, shutdown_trigger=stop.wait)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
