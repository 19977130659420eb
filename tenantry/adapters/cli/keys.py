"""``tenantry keys list | rotate | retire``: the HTTP server's token signing keys. Rotating adds a
new signing key (tokens signed by the old one stay valid until they expire); retiring stops a
superseded key verifying once its tokens can have expired."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import RenderableType
from rich.table import Table

from tenantry.adapters.cli import extras
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import CLI_ACTOR, ActorOpt

if TYPE_CHECKING:  # the server's libraries load only when a command needs them
    from tenantry.adapters.auth.keys import KeyInfo, SigningKeys

keys_app = typer.Typer(
    help="Token signing keys of the HTTP server (list, rotate, retire).", no_args_is_help=True
)

DEFAULT_TTL: Final = 900
TokenTtlOpt = Annotated[
    int,
    typer.Option(
        "--token-ttl",
        min=1,
        help="The servers' access token lifetime, seconds (as given to serve): a superseded key "
        "is retired once that long has passed.",
    ),
]


@contextmanager
def _keys(database_url: str) -> Iterator[SigningKeys]:
    """The signing keys kept in ``database_url``."""
    with extras.server_engine(database_url, "keys") as engine:
        from tenantry.adapters.auth.keys import SigningKeys
        from tenantry.adapters.auth.tables import create_tables

        create_tables(engine)
        ttl = timedelta(seconds=DEFAULT_TTL)
        t = extras.database(database_url).connect()
        try:  # the application records each key's creation and retirement, with who
            yield SigningKeys(engine, token_ttl=ttl, clock=lambda: datetime.now(UTC), audit=t)
        finally:
            t.close()


def _view(keys: list[KeyInfo]) -> RenderableType:
    table = Table("kid", "state", "created", "retired", "encrypted at rest")
    for k in keys:
        state = "signing" if k.signing else "retired" if k.retired_at else "verifying"
        table.add_row(
            k.kid,
            state,
            k.created_at.isoformat(timespec="seconds"),
            k.retired_at.isoformat(timespec="seconds") if k.retired_at else "",
            "yes" if k.encrypted else "no",
        )
    return table


@operation(keys_app, "list", view=_view, opens=_keys)
def list_keys(keys: SigningKeys) -> list[KeyInfo]:
    """Lists the signing keys (never their private part)."""
    return keys.list()


@operation(keys_app, "rotate", view=lambda k: _view([k]), opens=_keys)
def rotate_key(
    keys: SigningKeys, token_ttl: TokenTtlOpt = DEFAULT_TTL, actor: ActorOpt = CLI_ACTOR
) -> KeyInfo:
    """Adds a new signing key. The old one keeps verifying its tokens until they expire; keys
    superseded more than --token-ttl ago are retired. Each is recorded (SigningKey events)."""
    keys.token_ttl = timedelta(seconds=token_ttl)
    return keys.rotate(actor=actor)


@operation(keys_app, "retire", view=lambda k: _view([k]), opens=_keys)
def retire_key(
    keys: SigningKeys,
    kid: Annotated[str, typer.Argument(help="The key's kid.", show_default=False)],
    token_ttl: TokenTtlOpt = DEFAULT_TTL,
    force: Annotated[
        bool, typer.Option(help="Retire even if tokens it signed may still be valid.")
    ] = False,
    actor: ActorOpt = CLI_ACTOR,
) -> KeyInfo:
    """Retires a superseded key: tokens it signed stop working. Refused for the signing key and,
    without --force, until --token-ttl has passed since it was superseded."""
    keys.token_ttl = timedelta(seconds=token_ttl)
    return keys.retire(kid, force=force, actor=actor)
