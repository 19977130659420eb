"""``tenantry serve`` (the server itself is :mod:`tenantry.adapters.server`). Its logs go to
stderr; stdout carries only data (the ``--json`` document, a new client's secret).

A new client's secret (``--create-client``) never goes where a server log may be kept: it is
written to ``--client-file`` (a new file, mode 0600), or shown on stdout only when stdout is a
terminal; otherwise ``serve`` refuses to start."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, ConfigDict

from tenantry.adapters.cli import extras
from tenantry.adapters.cli.clients import secret_view
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import CLI_ACTOR, JsonOpt
from tenantry.adapters.cli.rendering import emit, err_console, jsonable
from tenantry.adapters.database import Database
from tenantry.adapters.expiry_schedule import DEFAULT_INTERVAL, INTERVAL_ENV
from tenantry.adapters.files import write_private
from tenantry.adapters.readiness import DEFAULT_MAX_LAG, MAX_LAG_ENV
from tenantry.domain.errors import InvalidField

if TYPE_CHECKING:  # the server's libraries load only when serve runs
    from tenantry.adapters.auth.clients import ClientAuth

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
        typer.Option(
            help="Create an API client of this name at start: its secret goes to --client-file, "
            "or to stdout if stdout is a terminal (never into a log)."
        ),
    ] = None,
    client_file: Annotated[
        Path | None,
        typer.Option(
            help="With --create-client: write the new client (JSON with its secret) to this "
            "new file, mode 0600.",
            dir_okay=False,
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    expiry_interval: Annotated[
        float,
        typer.Option(
            "--expiry-interval",
            envvar=INTERVAL_ENV,
            min=0,
            help="Seconds between expiry sweeps of invitations and portal links (once across "
            "servers; 0: none).",
        ),
    ] = DEFAULT_INTERVAL,
    ready_max_lag: Annotated[
        int,
        typer.Option(
            "--ready-max-lag",
            envvar=MAX_LAG_ENV,
            min=0,
            help="/readyz answers 503 when a projection lags more log positions than this.",
        ),
    ] = DEFAULT_MAX_LAG,
    tls_cert: Annotated[
        Path | None,
        typer.Option(
            "--tls-cert",
            help="Serve HTTPS with this PEM certificate chain (with --tls-key). Over TLS the "
            "portal's session cookie is Secure; SameSite=None, so the portal works framed.",
            dir_okay=False,
            exists=True,
        ),
    ] = None,
    tls_key: Annotated[
        Path | None,
        typer.Option(
            "--tls-key",
            help="The PEM private key of --tls-cert.",
            dir_okay=False,
            exists=True,
        ),
    ] = None,
    http2: Annotated[
        bool,
        typer.Option(
            "--http2",
            help="Serve with Hypercorn: HTTP/1.1 and HTTP/2 on one port (ALPN over TLS, h2c "
            "in plain text), and the hosted SDKs' gRPC calls beside the REST API (preview). "
            "Needs the grpc extra.",
        ),
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Serves the REST API (uvicorn; with --http2, Hypercorn and the SDKs' gRPC calls too).
    SIGTERM stops it gracefully: requests in flight finish.
    The projections (lists, search) are kept up to date by one follower process beside the
    workers (in the server process itself for memory://), restarted if it dies; the expiry
    sweep (invitations, portal links) runs every --expiry-interval seconds. With --json, one
    document on stdout before the server starts: the new client with --create-client (to a
    terminal), else the server's URL."""
    from tenantry.adapters import server

    if http2:
        extras.require("grpc")
    if (tls_cert is None) != (tls_key is None):
        raise InvalidField(
            "tls_key" if tls_key is None else "tls_cert", "give both --tls-cert and --tls-key"
        )
    tls = (tls_cert, tls_key) if tls_cert is not None and tls_key is not None else None
    if client_file is not None and create_client is None:
        raise InvalidField("client_file", "needs --create-client")
    if client_file is not None and client_file.exists():
        raise InvalidField("client_file", f"{client_file} exists; name a new file")
    if create_client and client_file is None and not sys.stdout.isatty():
        raise InvalidField(
            "client_file",
            "stdout is not a terminal (it may be a log): pass --client-file PATH for the secret",
        )

    def prepare(clients: ClientAuth) -> None:
        if create_client and client_file is not None:
            new = clients.create_client(create_client, actor=CLI_ACTOR)
            write_private(str(client_file), json.dumps(jsonable(new), indent=2) + "\n")
            err_console.print(f"created API client {new.client_id}; its secret is in {client_file}")
        elif create_client:
            new = clients.create_client(create_client, actor=CLI_ACTOR)
            emit(new, as_json=json_output, view=secret_view)
        if json_output and not (create_client and client_file is None):
            emit(Serving(url=server.url(host, port, tls=tls is not None)), as_json=True)

    server.run(
        db,
        host=host,
        port=port,
        workers=workers,
        token_ttl=token_ttl,
        log_level=log_level,
        prepare=prepare,
        expiry_interval=expiry_interval,
        ready_max_lag=ready_max_lag,
        tls=tls,
        http2=http2,
    )
