"""``tenantry demo``: a guided walk-through of what tenantry does, on the embedded default."""

from datetime import timedelta

import typer
from rich.console import Group
from rich.text import Text

from tenantry.adapters.cli.history import history_view
from tenantry.adapters.cli.options import DatabaseUrlOpt, DebugOpt
from tenantry.adapters.cli.progress import bar, tracker
from tenantry.adapters.cli.rendering import console
from tenantry.adapters.cli.reporting import reporting
from tenantry.adapters.database import DEFAULT_DATABASE_URL, connect
from tenantry.adapters.projections import ProjectionStore
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.domain.errors import SeatLimitReached

commands = typer.Typer()


@commands.command()
def demo(database_url: DatabaseUrlOpt = DEFAULT_DATABASE_URL, debug: DebugOpt = False) -> None:
    """A guided walk-through on the embedded SQLite default."""
    with reporting(debug=debug, as_json=False):
        t = connect(database_url)
        try:
            _demo(t, database_url)
        finally:
            t.close()


def _demo(t: Tenantry, database_url: str) -> None:
    who = "admin@vendor.example"
    console.rule("[bold]tenantry demo")
    console.print(f"database: {database_url}\n")
    console.print("[bold]1. Organizations[/] — every change is an event")
    acme = t.create_organization("Acme Corp", metadata={"plan": "enterprise"}, actor=who)
    globex = t.create_organization("Globex", actor=who)
    console.print(f"  created [cyan]{acme.display_name}[/] {acme.id}")
    console.print(f"  created [cyan]{globex.display_name}[/] {globex.id}")
    t.update_organization_settings(acme.id, [("sso", True)], actor=who)
    console.print("  turned on SSO for Acme")

    console.print("\n[bold]2. A seat limit[/] — pending invitations hold seats")
    t.upsert_user_management_settings(acme.id, 3, actor=who, reason="starter plan")
    console.print("  Acme may have [bold]3[/] seats")
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
        f"  {invited[0]} accepted — seats in use {usage.seats_in_use}/{usage.max_allowed_users} "
        "(accepting takes no new seat)"
    )
    renamed = t.update_organization(
        acme.id, display_name="Acme Corporation", actor="it@acme.example", reason="legal name"
    )

    console.print("\n[bold]3. The audit history[/] — who changed what, when")
    console.print(history_view(t.list_history(acme.id)))

    console.print("\n[bold]4. Time travel[/] — any past state, rebuilt from the events")
    then = t.get_organization_as_of(acme.id, version=1)
    before_rename = t.get_organization_as_of(acme.id, at=renamed.update_time - timedelta(0, 0, 1))
    console.print(f"  version 1: [cyan]{then.display_name!r}[/], sso={_sso(then)}")
    console.print(
        f"  just before the rename ({before_rename.update_time:%H:%M:%S.%f}): "
        f"[cyan]{before_rename.display_name!r}[/], sso={_sso(before_rename)}"
    )
    console.print(f"  now (version {renamed.version}): [cyan]{renamed.display_name!r}[/]")

    console.print("\n[bold]5. Read models[/] — projections rebuilt from the whole log")
    store = ProjectionStore(t)
    try:
        with bar(store.head(), console_=console, always=True) as shown:
            store.rebuild("organizations", progress=tracker(shown, "rebuild organizations"))
        page = store.list_organizations(external_id=None, min_position=store.head())
        found = store.search_organizations("acme", min_position=store.head())
        console.print(
            f"  {page.total_size} organizations in the read model; "
            f"searching 'acme' finds {found.total_size}"
        )
    finally:
        store.close()
    console.print(
        Group(
            Text("\nTry next:", style="bold"),
            Text(f"  tenantry history {acme.id}"),
            Text(f"  tenantry show {acme.id} --version 1"),
            Text(f"  tenantry diff {acme.id} --from 1"),
            Text(f"  tenantry export {acme.id} > acme.jsonl"),
            Text("  tenantry orgs list"),
        )
    )


def _sso(org: dto.Organization) -> str:
    return next(("on" if f.enabled else "off") for f in org.settings.features if f.name == "sso")
