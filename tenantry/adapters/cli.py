"""The ``tenantry`` command line (typer + rich)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from tenantry.adapters.database import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, connect
from tenantry.domain.errors import SeatLimitReached

app = typer.Typer(help="tenantry: an event-sourced organizations core.", no_args_is_help=True)
console = Console()

DatabaseUrl = typer.Option(
    DEFAULT_DATABASE_URL, "--database-url", envvar=DATABASE_URL_ENV, help="Where the events live."
)


@app.callback()
def _root() -> None:
    """tenantry: an event-sourced organizations core."""


@app.command()
def demo(database_url: str = DatabaseUrl) -> None:
    """A guided walk-through on the embedded SQLite default."""
    t = connect(database_url)
    try:
        console.rule("[bold]tenantry demo")
        console.print(f"database: {database_url}")
        acme = t.create_organization(
            "Acme Corp", metadata={"plan": "enterprise"}, actor="admin@vendor.example"
        )
        globex = t.create_organization("Globex", actor="admin@vendor.example")
        console.print(f"created [cyan]{acme.display_name}[/] {acme.id} and {globex.display_name}")
        t.upsert_user_management_settings(acme.id, 3, actor="admin@vendor.example")
        console.print("set Acme's seat limit to [bold]3[/]")
        invited = []
        for name in ("ada", "grace", "linus", "barbara"):
            email = f"{name}@acme.example"
            try:
                t.invite_member(acme.id, email, actor="it@acme.example")
                invited.append(email)
                console.print(f"  invited {email}")
            except SeatLimitReached as e:
                console.print(f"  [red]refused[/] {email}: [bold]{e.code}[/] ({e.message})")
        t.accept_invitation(acme.id, invited[0])
        usage = t.get_seat_usage(acme.id)
        console.print(
            f"{invited[0]} accepted; seats in use {usage.seats_in_use}/{usage.max_allowed_users}"
        )
        t.update_organization(acme.id, display_name="Acme Corporation", actor="it@acme.example")
        table = Table(title=f"audit history of {acme.id}")
        for col in ("v", "event", "actor", "changes"):
            table.add_column(col)
        for h in t.list_history(acme.id):
            changes = ", ".join(
                f"{c.field}: {c.before!r} → {c.after!r}" for c in h.changes if c.before is not None
            )
            table.add_row(str(h.version), h.event, h.actor, changes or "(created)")
        console.print(table)
        then = t.get_organization_as_of(acme.id, version=1)
        now = t.get_organization(acme.id)
        console.print(
            f"as of version 1 the name was [cyan]{then.display_name!r}[/]; "
            f"now it is [cyan]{now.display_name!r}[/] (version {now.version})"
        )
    finally:
        t.close()


def main() -> None:
    app()
