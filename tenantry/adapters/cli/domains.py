"""``tenantry domains …``: an organization's e-mail domains — add (prints the DNS TXT record to
publish), list, get, verify (by DNS, or --method ADMIN), delete."""

from __future__ import annotations

from typing import Annotated

import typer

from tenantry.adapters.cli.connections import Deleted, sso_application
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import CLI_ACTOR, ActorOpt, OnBehalfOfOpt, OrgArg, ReasonOpt
from tenantry.application.app import Tenantry
from tenantry.application.connection_dto import OrganizationDomain

domains_app = typer.Typer(
    help="E-mail domains of an organization (verified by DNS or an admin).", no_args_is_help=True
)

DomainArg = Annotated[str, typer.Argument(help="The domain's id (dom_…).", show_default=False)]


@operation(domains_app, "add", opens=sso_application)
def add(
    t: Tenantry,
    organization_id: OrgArg,
    domain: Annotated[str, typer.Argument(help="The domain, e.g. acme.com.")],
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> OrganizationDomain:
    """Add a domain (unverified); shows the TXT record that verifies it."""
    return t.add_domain(
        organization_id, domain, actor=actor, on_behalf_of=on_behalf_of, reason=reason
    )


@operation(domains_app, "list", opens=sso_application)
def list_(t: Tenantry, organization_id: OrgArg) -> list[OrganizationDomain]:
    """List the organization's domains."""
    return t.list_domains(organization_id)


@operation(domains_app, "get", opens=sso_application)
def get(t: Tenantry, organization_id: OrgArg, domain_id: DomainArg) -> OrganizationDomain:
    """Show a domain and its verification record."""
    return t.get_domain(organization_id, domain_id)


@operation(domains_app, "verify", opens=sso_application)
def verify(
    t: Tenantry,
    organization_id: OrgArg,
    domain_id: DomainArg,
    method: Annotated[str, typer.Option(help="DNS (look the TXT record up) or ADMIN.")] = "DNS",
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> OrganizationDomain:
    """Verify a domain: by its DNS TXT record, or on an admin's word (--method ADMIN)."""
    return t.verify_domain(
        organization_id,
        domain_id,
        method=method,
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
    )


@operation(domains_app, "delete", view=lambda d: f"deleted {d.id}", opens=sso_application)
def delete(
    t: Tenantry,
    organization_id: OrgArg,
    domain_id: DomainArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Deleted:
    """Delete a domain (a verified one is released)."""
    t.delete_domain(
        organization_id, domain_id, actor=actor, on_behalf_of=on_behalf_of, reason=reason
    )
    return Deleted(action="deleted", organization_id=organization_id, id=domain_id)
