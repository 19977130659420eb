"""``tenantry serve`` and ``tenantry clients create|list|rotate|delete``: the HTTP server and
its API clients."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from tenantry.adapters.cli.options import DebugOpt
from tenantry.adapters.cli.reporting import reporting
from tenantry.adapters.database import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, Database
from tenantry.domain.errors import InvalidField

if TYPE_CHECKING:  # the server's libraries load only when a command needs them
    from tenantry.adapters.http.auth import ClientAuth, NewSecret

console = Console()
err = Console(stderr=True)

DatabaseUrl = Annotated[
    str,
    typer.Option("--database-url", envvar=DATABASE_URL_ENV, help="Where the events live."),
]

clients_app = typer.Typer(
    help="API clients of the HTTP server (OAuth 2.0 client credentials).", no_args_is_help=True
)


def _require_http_extra() -> None:
    """The server's libraries are the ``http`` extra: say so rather than show a traceback."""
    import importlib.util

    missing = [m for m in ("fastapi", "uvicorn", "jwt") if importlib.util.find_spec(m) is None]
    if missing:
        err.print(
            f"[red]missing {', '.join(missing)}[/]: install the HTTP server with "
            "pip install 'tenantry[http]'"
        )
        raise typer.Exit(2)


def _clients(database_url: str) -> ClientAuth:
    _require_http_extra()
    from tenantry.adapters.http.auth import ClientAuth

    db = Database.parse(database_url)
    if db.kind == "memory":
        raise InvalidField(
            "database_url", "memory:// keeps clients inside the server process; use a database URL"
        )
    return ClientAuth(db.adapters_engine())


def _print_secret(new: NewSecret) -> None:
    console.print(f"client_id: {new.client_id}", highlight=False)
    console.print(f"client_secret: {new.client_secret}", highlight=False)


@clients_app.command("create")
def create_client(
    name: Annotated[str, typer.Argument(help="A name for people, e.g. billing-service.")],
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
    debug: DebugOpt = False,
) -> None:
    """Creates a client and prints its id and secret (shown this once only)."""
    with reporting(debug=debug, as_json=False):
        new = _clients(database_url).create_client(name)
    _print_secret(new)
    err.print("store the secret now: it is not shown again")


@clients_app.command("list")
def list_clients(database_url: DatabaseUrl = DEFAULT_DATABASE_URL, debug: DebugOpt = False) -> None:
    """Lists the API clients (never their secrets)."""
    with reporting(debug=debug, as_json=False):
        listed = _clients(database_url).list_clients()
    client_id = Column("client_id", no_wrap=True, min_width=28)
    table = Table(client_id, "name", "secret version", "created", "rotated")
    for c in listed:
        table.add_row(
            c.client_id,
            c.name,
            str(c.secret_version),
            c.created_at.isoformat(timespec="seconds"),
            c.rotated_at.isoformat(timespec="seconds") if c.rotated_at else "",
        )
    console.print(table)


@clients_app.command("rotate")
def rotate_client(
    client_id: str, database_url: DatabaseUrl = DEFAULT_DATABASE_URL, debug: DebugOpt = False
) -> None:
    """Gives a client a new secret; the old secret and its tokens stop working at once."""
    with reporting(debug=debug, as_json=False):
        new = _clients(database_url).rotate_secret(client_id)
    _print_secret(new)


@clients_app.command("delete")
def delete_client(
    client_id: str, database_url: DatabaseUrl = DEFAULT_DATABASE_URL, debug: DebugOpt = False
) -> None:
    """Deletes a client; its tokens stop working at once."""
    with reporting(debug=debug, as_json=False):
        _clients(database_url).delete_client(client_id)
    console.print(f"deleted {client_id}")


def serve(
    database_url: DatabaseUrl = DEFAULT_DATABASE_URL,
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
    debug: DebugOpt = False,
) -> None:
    """Serves the REST API (uvicorn). SIGTERM stops it gracefully: requests in flight finish.
    The projections (lists, search) are kept up to date by one follower process beside the
    workers (in the server process itself for memory://)."""
    with reporting(debug=debug, as_json=False):
        _require_http_extra()
        db = Database.parse(database_url)
        if db.kind == "memory" and workers > 1:
            raise InvalidField(
                "workers", "memory:// cannot be shared by several workers; use --workers 1"
            )
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "log_level": log_level,
            "timeout_graceful_shutdown": 30,
        }
        _serve(db, workers, token_ttl, create_client, options)


def _serve(
    db: Database, workers: int, token_ttl: int, create_client: str | None, options: dict[str, Any]
) -> None:
    import uvicorn

    from tenantry.adapters.http.app import FOLLOW_ENV, TOKEN_TTL_ENV, app_from_env
    from tenantry.adapters.http.auth import ClientAuth

    in_memory = db.kind == "memory"
    os.environ[DATABASE_URL_ENV] = db.url
    os.environ[TOKEN_TTL_ENV] = str(token_ttl)
    # Events in memory live in this process only: its own thread follows them.
    os.environ[FOLLOW_ENV] = "1" if in_memory else "0"
    if workers == 1:
        app = app_from_env()
        clients: ClientAuth = app.state.clients
        if create_client:
            _print_secret(clients.create_client(create_client))
        clients.jwks()  # the signing key exists before the first request
        with _projections_beside(None if in_memory else db.url):
            uvicorn.run(app, **options)
        return
    # Several workers: prepare the shared tables and key once, then let each worker build its app.
    engine = db.adapters_engine()
    clients = ClientAuth(engine)
    if create_client:
        _print_secret(clients.create_client(create_client))
    clients.jwks()
    engine.dispose()
    with _projections_beside(db.url):
        uvicorn.run(
            "tenantry.adapters.http.app:app_from_env",
            factory=True,
            workers=workers,
            **options,
        )


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


commands = typer.Typer()
"""``serve``, a top-level command."""
commands.command("serve")(serve)
