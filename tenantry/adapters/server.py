"""The server behind ``tenantry serve``: the REST API under uvicorn, with the projection
follower process beside its workers (inside the server for ``memory://``, whose events live in
that process only). Logs go to stderr: stdout is left to the caller's data."""

from __future__ import annotations

import copy
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from tenantry.adapters.auth.clients import ClientAuth
from tenantry.adapters.database import DATABASE_URL_ENV, Database
from tenantry.adapters.expiry_schedule import DEFAULT_INTERVAL, INTERVAL_ENV
from tenantry.adapters.http.app import FOLLOW_ENV, TOKEN_TTL_ENV, app_from_env
from tenantry.adapters.http.logs import RedactSecrets
from tenantry.adapters.projections import follower
from tenantry.adapters.projections.supervision import MAX_BACKOFF, MIN_BACKOFF, STEADY
from tenantry.adapters.readiness import DEFAULT_MAX_LAG, MAX_LAG_ENV
from tenantry.domain.errors import InvalidField

log = logging.getLogger("tenantry.server")


def run(
    db: Database,
    *,
    host: str,
    port: int,
    workers: int,
    token_ttl: int,
    log_level: str,
    prepare: Callable[[ClientAuth], None],
    expiry_interval: float = DEFAULT_INTERVAL,
    ready_max_lag: int = DEFAULT_MAX_LAG,
    tls: tuple[Path, Path] | None = None,
    http2: bool = False,
) -> None:
    """Serves until SIGTERM or SIGINT (requests in flight finish). ``prepare`` runs once with the
    API clients before the server starts (to create a client, say). ``tls``: (certificate chain,
    private key) PEM files to serve HTTPS with. ``http2``: serve with Hypercorn instead of
    uvicorn — HTTP/1.1 and HTTP/2 (ALPN over TLS, h2c prior knowledge in plain text) on one
    port, the REST API and the hosted SDKs' gRPC services (:mod:`tenantry.adapters.grpc`)."""
    in_memory = db.kind == "memory"
    if in_memory and workers > 1:
        raise InvalidField(
            "workers", "memory:// cannot be shared by several workers; use --workers 1"
        )
    os.environ[DATABASE_URL_ENV] = db.url
    os.environ[TOKEN_TTL_ENV] = str(token_ttl)
    os.environ[INTERVAL_ENV] = str(expiry_interval)
    os.environ[MAX_LAG_ENV] = str(ready_max_lag)
    # Events in memory live in this process only: its own thread follows them.
    os.environ[FOLLOW_ENV] = "1" if in_memory else "0"
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": _logs_on_stderr(LOGGING_CONFIG),
        "timeout_graceful_shutdown": 30,
    }
    if tls is not None:
        options["ssl_certfile"], options["ssl_keyfile"] = str(tls[0]), str(tls[1])

    def ready(clients: ClientAuth) -> None:
        prepare(clients)
        clients.jwks()  # the signing key exists before the first request

    if workers == 1:
        app = app_from_env()
        ready(app.state.clients)
        with _projections_beside(None if in_memory else db.url):
            if http2:
                from tenantry.adapters import http2_server  # Hypercorn loads only for --http2

                http2_server.run(app, host=host, port=port, tls=tls, log_level=log_level)
            else:
                uvicorn.run(app, **options)
        return
    # Several workers: prepare the shared tables and key once, then let each worker build its app.
    engine = db.adapters_engine()
    t = db.connect()
    try:
        ready(ClientAuth(engine, audit=t))
    finally:
        t.close()
        engine.dispose()
    with _projections_beside(db.url):
        if http2:
            from tenantry.adapters import http2_server

            code = http2_server.run_workers(
                workers, host=host, port=port, tls=tls, log_level=log_level
            )
            if code:
                raise SystemExit(code)
            return
        uvicorn.run(
            "tenantry.adapters.http.app:app_from_env",
            factory=True,
            workers=workers,
            **options,
        )


def url(host: str, port: int, *, tls: bool = False) -> str:
    scheme = "https" if tls else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _logs_on_stderr(config: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging with its access log on stderr too (uvicorn writes it to stdout), and
    secrets in query strings redacted (:mod:`tenantry.adapters.http.logs`)."""
    config = copy.deepcopy(config)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    for handler in config["handlers"].values():
        if handler.get("stream") == "ext://sys.stdout":
            handler["stream"] = "ext://sys.stderr"
        handler.setdefault("filters", []).append("redact_secrets")
    return config


@contextmanager
def _projections_beside(database_url: str | None) -> Iterator[None]:
    """Runs the projection follower process (if ``database_url``) while the server runs,
    restarted with backoff if it dies (``kill -9``, say: the follower restarts itself after an
    error, see :mod:`tenantry.adapters.projections.supervision`), and stops it after the server
    stopped. uvicorn, once shut down by SIGTERM or SIGINT, raises the signal again to end the
    process: the handler installed here stops the follower first, then lets the signal end the
    process as before."""
    if database_url is None:
        yield
        return
    url = database_url
    process = follower.spawn(url)
    stopping = threading.Event()

    def watch() -> None:
        nonlocal process
        delay, restarts, began = MIN_BACKOFF, 0, time.monotonic()
        while not stopping.wait(follower.PARENT_POLL):
            code = process.poll()
            if code is None:
                continue
            if time.monotonic() - began >= STEADY:
                delay = MIN_BACKOFF
            restarts += 1
            log.error(
                "projection follower process exited (code %s); restart %d in %.1f s",
                code,
                restarts,
                delay,
            )
            if stopping.wait(delay):
                return
            process, began = follower.spawn(url, restarts=restarts), time.monotonic()
            delay = min(delay * 2, MAX_BACKOFF)

    watcher = threading.Thread(target=watch, name="follower-watch", daemon=True)
    watcher.start()

    def stop() -> None:
        if not stopping.is_set():
            stopping.set()
            watcher.join()
            follower.stop_process(process)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop()
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
