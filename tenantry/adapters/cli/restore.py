"""``tenantry orgs restore`` and ``tenantry orgs purge``: bring a deleted organization back
within the restore period, and record the purge of those past it."""

from typing import Annotated

import typer

from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import CLI_ACTOR, ActorOpt, OnBehalfOfOpt, OrgArg, ReasonOpt
from tenantry.adapters.cli.orgs import orgs_app
from tenantry.application import dto
from tenantry.application.app import Tenantry


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


@operation(orgs_app, "purge")
def orgs_purge(t: Tenantry, actor: ActorOpt = "system:purge-sweep") -> dto.PurgeSweep:
    """Record the purge of every deleted organization past its restore period."""
    return t.purge_deleted_organizations(actor=actor)
