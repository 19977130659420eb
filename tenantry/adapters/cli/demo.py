"""``tenantry demo``: a guided walk-through of what tenantry does, on the embedded default."""

from datetime import timedelta

import typer
from pydantic import BaseModel, ConfigDict
from rich.console import Console, Group
from rich.text import Text

from tenantry.adapters.cli.history import history_view
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import DatabaseUrlOpt, JsonOpt
from tenantry.adapters.cli.progress import tracker
from tenantry.adapters.cli.rendering import console, emit
from tenantry.adapters.database import DEFAULT_DATABASE_URL
from tenantry.adapters.projections import ProjectionStore
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.domain.errors import SeatLimitReached

commands = typer.Typer()


class DemoRun(BaseModel):
    """What the walk-through created and found (``demo --json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organizations: list[dto.Organization]
    invited: list[str]
    refused: list[str]
    """Invitations refused by the seat limit."""
    seat_usage: dto.SeatUsage
    listed: int
    """Organizations in the read model, after its rebuild."""
    found: int
    """Organizations the read model finds searching 'acme'."""


@operation(commands, "demo")
def demo(
    t: Tenantry,
    database_url: DatabaseUrlOpt = DEFAULT_DATABASE_URL,
    json_output: JsonOpt = False,
) -> None:
    """A guided walk-through on the embedded SQLite default. With --json, no narration: what
    it created and found, as one document."""
    run = _demo(t, database_url, Console(quiet=True) if json_output else console)
    if json_output:
        emit(run, as_json=True)


def _demo(t: Tenantry, database_url: str, out: Console) -> DemoRun:
    who = "admin@vendor.example"
    out.rule("[bold]tenantry demo")
    out.print(f"database: {database_url}\n")
    out.print("[bold]1. Organizations[/] — every change is an event")
    acme = t.create_organization("Acme Corp", metadata={"plan": "enterprise"}, actor=who)
    globex = t.create_organization("Globex", actor=who)
    out.print(f"  created [cyan]{acme.display_name}[/] {acme.id}")
    out.print(f"  created [cyan]{globex.display_name}[/] {globex.id}")
    t.update_organization_settings(acme.id, [("sso", True)], actor=who)
    out.print("  turned on SSO for Acme")

    out.print("\n[bold]2. A seat limit[/] — pending invitations hold seats")
    t.upsert_user_management_settings(acme.id, 3, actor=who, reason="starter plan")
    out.print("  Acme may have [bold]3[/] seats")
    invited: list[str] = []
    refused: list[str] = []
    for name in ("ada", "grace", "linus", "barbara"):
        email = f"{name}@acme.example"
        try:
            t.invite_member(acme.id, email, actor="it@acme.example")
            invited.append(email)
            out.print(f"  invited {email}")
        except SeatLimitReached as e:
            refused.append(email)
            out.print(f"  [red]refused[/] {email}: [bold]{e.code}[/] ({e.message})")
    t.accept_invitation(acme.id, invited[0])
    usage = t.get_seat_usage(acme.id)
    out.print(
        f"  {invited[0]} accepted — seats in use {usage.seats_in_use}/{usage.max_allowed_users} "
        "(accepting takes no new seat)"
    )
    renamed = t.update_organization(
        acme.id, display_name="Acme Corporation", actor="it@acme.example", reason="legal name"
    )

    out.print("\n[bold]3. The audit history[/] — who changed what, when")
    out.print(history_view(t.list_history(acme.id)))

    out.print("\n[bold]4. Time travel[/] — any past state, rebuilt from the events")
    then = t.get_organization_as_of(acme.id, version=1)
    before_rename = t.get_organization_as_of(acme.id, at=renamed.update_time - timedelta(0, 0, 1))
    out.print(f"  version 1: [cyan]{then.display_name!r}[/], sso={_sso(then)}")
    out.print(
        f"  just before the rename ({before_rename.update_time:%H:%M:%S.%f}): "
        f"[cyan]{before_rename.display_name!r}[/], sso={_sso(before_rename)}"
    )
    out.print(f"  now (version {renamed.version}): [cyan]{renamed.display_name!r}[/]")

    out.print("\n[bold]5. Read models[/] — projections rebuilt from the whole log")
    store = ProjectionStore(t)
    try:
        with tracker("rebuild organizations", store.head()) as advance:
            store.rebuild("organizations", progress=advance)
        page = store.list_organizations(external_id=None, min_position=store.head())
        found = store.search_organizations("acme", min_position=store.head())
        out.print(
            f"  {page.total_size} organizations in the read model; "
            f"searching 'acme' finds {found.total_size}"
        )
    finally:
        store.close()
    out.print(
        Group(
            Text("\nTry next:", style="bold"),
            Text(f"  tenantry history {acme.id}"),
            Text(f"  tenantry show {acme.id} --version 1"),
            Text(f"  tenantry diff {acme.id} --from 1"),
            Text(f"  tenantry export {acme.id} > acme.jsonl"),
            Text("  tenantry orgs list"),
        )
    )
    return DemoRun(
        organizations=[renamed, t.get_organization(globex.id)],
        invited=invited,
        refused=refused,
        seat_usage=t.get_seat_usage(acme.id),
        listed=page.total_size,
        found=found.total_size,
    )


def _sso(org: dto.Organization) -> str:
    return next(("on" if f.enabled else "off") for f in org.settings.features if f.name == "sso")
