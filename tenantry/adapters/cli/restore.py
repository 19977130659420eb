"""``tenantry orgs restore`` and ``tenantry orgs purge``: bring a deleted organization back
within the restore period, and record the purge of those past it."""

from typing import Annotated

import typer
from rich.console import RenderableType
from rich.table import Table

from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import CLI_ACTOR, ActorOpt, OnBehalfOfOpt, OrgArg, ReasonOpt
from tenantry.adapters.cli.orgs import orgs_app
from tenantry.adapters.cli.rendering import cell
from tenantry.application import dto
from tenantry.application.app import Tenantry

_TIME = "%Y-%m-%d %H:%M:%S"


@operation(orgs_app, "restore")
def orgs_restore(
    t: Tenantry,
    organization_id: OrgArg,
    release_taken_keys: Annotated[
        bool,
        typer.Option(
            help="Restore without the external id or slug another organization took meanwhile "
            "(else refused, naming the field)."
        ),
    ] = False,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Organization:
    """Restore a deleted organization, with its members and settings, within the restore
    period ($TENANTRY_RESTORE_DAYS, default 30 days)."""
    return t.restore_organization(
        organization_id,
        release_taken_keys=release_taken_keys,
        actor=actor,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )


def _deleted_view(deleted: list[dto.DeletedOrganization]) -> RenderableType:
    table = Table()
    table.add_column("id", no_wrap=True)
    for column in ("display_name", "external_id", "slug", "deleted (UTC)", "restorable until"):
        table.add_column(column, overflow="fold")
    for d in deleted:
        o = d.organization
        table.add_row(
            o.id, o.display_name, cell(o.external_id), cell(o.slug),
            d.deleted_at.strftime(_TIME), d.restore_deadline.strftime(_TIME),
        )  # fmt: skip
    return table


@operation(orgs_app, "deleted", view=_deleted_view)
def orgs_deleted(t: Tenantry) -> list[dto.DeletedOrganization]:
    """List the deleted organizations that can still be restored, with their deadlines."""
    return t.list_deleted_organizations()


@operation(orgs_app, "purge")
def orgs_purge(t: Tenantry, actor: ActorOpt = "system:purge-sweep") -> dto.PurgeSweep:
    """Record the purge of every deleted organization past its restore period."""
    return t.purge_deleted_organizations(actor=actor)
