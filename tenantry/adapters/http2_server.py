"""``tenantry serve --http2``: the REST API and the hosted SDKs' gRPC services on one port under
Hypercorn — HTTP/1.1 and HTTP/2, over TLS (ALPN ``h2``, ``http/1.1``) or in plain text (h2c with
prior knowledge, which the Node SDK speaks for an ``http://`` URL). uvicorn has no HTTP/2, so
the default server stays uvicorn for REST-only deployments until the two are measured side by
side (issue 17). SIGTERM and SIGINT stop it gracefully: calls in flight finish."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config

from tenantry.adapters.grpc.asgi import grpc_services, with_grpc

GRACEFUL_TIMEOUT = 30.0


def run(app: Any, *, host: str, port: int, tls: tuple[Path, Path] | None, log_level: str) -> None:
    """Serves ``app`` (the REST API built by ``app_from_env``) with the gRPC services beside it
    until SIGTERM or SIGINT."""
    services = grpc_services(app.state.tenantry, app.state.clients, app.state.projections)
    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.loglevel = log_level.upper()
    config.errorlog = "-"  # stderr: stdout carries only data
    config.accesslog = logging.getLogger("hypercorn.access") if log_level == "debug" else None
    config.graceful_timeout = GRACEFUL_TIMEOUT
    if tls is not None:
        config.certfile, config.keyfile = str(tls[0]), str(tls[1])
        config.alpn_protocols = ["h2", "http/1.1"]
    asyncio.run(_serve(with_grpc(app, services), config))


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
