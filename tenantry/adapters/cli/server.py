"""``tenantry serve``: the REST API (uvicorn) with the projection follower beside it. Its logs
go to stderr; stdout carries only data (the ``--json`` document, a new client's secret)."""

from __future__ import annotations

import copy
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict

from tenantry.adapters.cli import extras
from tenantry.adapters.cli.clients import secret_view
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import JsonOpt
from tenantry.adapters.cli.rendering import emit
from tenantry.adapters.database import DATABASE_URL_ENV, Database
from tenantry.domain.errors import InvalidField

commands = typer.Typer()
"""``serve``, a top-level command."""


class Serving(BaseModel):
    """Where the server listens (``serve --json`` without ``--create-client``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str


@contextmanager
def _served_database(database_url: str) -> Iterator[Database]:
    extras.require("http")
    yield extras.database(database_url)


@operation(commands, "serve", opens=_served_database)
def serve(
    db: Database,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    token_ttl: Annotated[
        int, typer.Option("--token-ttl", min=1, help="Access token lifetime, seconds.")
    ] = 900,
    create_client: Annotated[
        str | None,
        typer.Option(help="Create an API client of this name at start and print its secret."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    json_output: JsonOpt = False,
) -> None:
    """Serves the REST API (uvicorn). SIGTERM stops it gracefully: requests in flight finish.
    The projections (lists, search) are kept up to date by one follower process beside the
    workers (in the server process itself for memory://). With --json, one document on stdout
    before the server starts: the new client with --create-client, else the server's URL."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from tenantry.adapters.http.app import FOLLOW_ENV, TOKEN_TTL_ENV, app_from_env
    from tenantry.adapters.http.auth import ClientAuth

    in_memory = db.kind == "memory"
    if in_memory and workers > 1:
        raise InvalidField(
            "workers", "memory:// cannot be shared by several workers; use --workers 1"
        )
    os.environ[DATABASE_URL_ENV] = db.url
    os.environ[TOKEN_TTL_ENV] = str(token_ttl)
    # Events in memory live in this process only: its own thread follows them.
    os.environ[FOLLOW_ENV] = "1" if in_memory else "0"
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": _logs_on_stderr(LOGGING_CONFIG),
        "timeout_graceful_shutdown": 30,
    }

    def announce(clients: ClientAuth) -> None:
        if create_client:
            emit(clients.create_client(create_client), as_json=json_output, view=secret_view)
        elif json_output:
            emit(Serving(url=_url(host, port)), as_json=True)
        clients.jwks()  # the signing key exists before the first request

    if workers == 1:
        app = app_from_env()
        announce(app.state.clients)
        with _projections_beside(None if in_memory else db.url):
            uvicorn.run(app, **options)
        return
    # Several workers: prepare the shared tables and key once, then let each worker build its app.
    engine = db.adapters_engine()
    announce(ClientAuth(engine))
    engine.dispose()
    with _projections_beside(db.url):
        uvicorn.run(
            "tenantry.adapters.http.app:app_from_env",
            factory=True,
            workers=workers,
            **options,
        )


def _logs_on_stderr(config: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging with its access log on stderr too (uvicorn writes it to stdout)."""
    config = copy.deepcopy(config)
    for handler in config["handlers"].values():
        if handler.get("stream") == "ext://sys.stdout":
            handler["stream"] = "ext://sys.stderr"
    return config


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextmanager
def _projections_beside(database_url: str | None) -> Iterator[None]:
    """Runs the projection follower process (if ``database_url``) while the server runs, and
    stops it after the server stopped. uvicorn, once shut down by SIGTERM or SIGINT, raises the
    signal again to end the process: the handler installed here stops the follower first, then
    lets the signal end the process as before."""
    if database_url is None:
        yield
        return
    from tenantry.adapters.http import follower

    process = follower.spawn(database_url)
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
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
