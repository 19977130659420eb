"""``tenantry clients create | list | rotate | delete``: the HTTP server's API clients (OAuth 2.0
client credentials), full-environment or scoped (``--scope``, ``--organization``). A new secret is
data: printed on stdout, never logged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel, ConfigDict
from rich.console import RenderableType
from rich.table import Column, Table
from rich.text import Text

from tenantry.adapters.cli import extras
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import CLI_ACTOR, ActorOpt, OnBehalfOfOpt
from tenantry.adapters.cli.rendering import err_console

if TYPE_CHECKING:  # the server's libraries load only when a command needs them
    from tenantry.adapters.auth.clients import ClientAuth, ClientInfo, NewSecret

clients_app = typer.Typer(
    help="API clients of the HTTP server (OAuth 2.0 client credentials).", no_args_is_help=True
)

ClientIdArg = Annotated[str, typer.Argument(help="The client's id (cli_…).", show_default=False)]


class ClientDeleted(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    client_id: str


@contextmanager
def _client_auth(database_url: str) -> Iterator[ClientAuth]:
    """The API clients kept in ``database_url``."""
    with extras.server_engine(database_url, "clients") as engine:
        from tenantry.adapters.auth.clients import ClientAuth

        db = extras.database(database_url)
        t = db.connect()
        try:
            yield ClientAuth(engine, audit=t)  # the application records each change, with who
        finally:
            t.close()


def secret_view(new: NewSecret) -> RenderableType:
    """The id and the secret, one ``name: value`` line each (shown this once only)."""
    return Text(f"client_id: {new.client_id}\nclient_secret: {new.client_secret}")


def _list_view(listed: list[ClientInfo]) -> RenderableType:
    client_id = Column("client_id", no_wrap=True, min_width=28)
    table = Table(
        client_id, "name", "scopes", "organizations", "secret version", "created", "rotated"
    )
    for c in listed:
        table.add_row(
            c.client_id,
            c.name,
            "all (full environment)" if c.scopes is None else " ".join(c.scopes),
            "all" if c.organizations is None else " ".join(c.organizations),
            str(c.secret_version),
            c.created_at.isoformat(timespec="seconds"),
            c.rotated_at.isoformat(timespec="seconds") if c.rotated_at else "",
        )
    return table


@operation(clients_app, "create", view=secret_view, opens=_client_auth)
def create_client(
    auth: ClientAuth,
    name: Annotated[str, typer.Argument(help="A name for people, e.g. billing-service.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="A scope the client holds (repeat, or space/comma-separated), e.g. "
            "organizations:read. None given: a full-environment client (every scope).",
            show_default=False,
        ),
    ] = None,
    organization: Annotated[
        list[str] | None,
        typer.Option(
            "--organization",
            help="Restrict the client to this organization (org_…; repeat for several).",
            show_default=False,
        ),
    ] = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
) -> NewSecret:
    """Creates a client and prints its id and secret (shown this once only). Without --scope
    and --organization it may do everything (full environment)."""
    new = auth.create_client(
        name,
        scopes=scope or None,
        organizations=organization or None,
        actor=actor,
        on_behalf_of=on_behalf_of,
    )
    err_console.print("store the secret now: it is not shown again")
    return new


@operation(clients_app, "list", view=_list_view, opens=_client_auth)
def list_clients(auth: ClientAuth) -> list[ClientInfo]:
    """Lists the API clients (never their secrets)."""
    return auth.list_clients()


@operation(clients_app, "rotate", view=secret_view, opens=_client_auth)
def rotate_client(
    auth: ClientAuth,
    client_id: ClientIdArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
) -> NewSecret:
    """Gives a client a new secret; the old secret and its tokens stop working at once."""
    return auth.rotate_secret(client_id, actor=actor, on_behalf_of=on_behalf_of)


@operation(clients_app, "delete", view=lambda d: f"deleted {d.client_id}", opens=_client_auth)
def delete_client(
    auth: ClientAuth,
    client_id: ClientIdArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
) -> ClientDeleted:
    """Deletes a client; its tokens stop working at once."""
    auth.delete_client(client_id, actor=actor, on_behalf_of=on_behalf_of)
    return ClientDeleted(action="deleted", client_id=client_id)
