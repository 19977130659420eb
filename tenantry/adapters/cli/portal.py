"""``tenantry portal …``: an organization's admin-portal links — ``link`` (prints a new link
once: hand it to the organization's admin), ``links`` (the live ones, never a secret),
``revoke`` (one, or all: their sessions end), ``sweep`` (record the expiry of links past their
time). Links are under ``$TENANTRY_SSO_BASE_URL``, the server's public base URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict

from tenantry.adapters.cli.connections import sso_application
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import (
    CLI_ACTOR,
    ActorOpt,
    JsonOpt,
    OnBehalfOfOpt,
    OrgArg,
    ReasonOpt,
)
from tenantry.adapters.cli.rendering import emit
from tenantry.application.app import Tenantry
from tenantry.application.portal_link_dto import (
    DashboardLoginLink,
    PortalLink,
    PortalLinkInfo,
    PortalLinkSweep,
)
from tenantry.application.portal_links import SWEEP_ACTOR

portal_app = typer.Typer(
    help="Admin-portal links of an organization (its admin configures SSO, SCIM, domains).",
    no_args_is_help=True,
)


class Revoked(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    organization_id: str
    revoked: list[str]


def printed(
    data: PortalLink | DashboardLoginLink, as_json: bool, shown: Callable[[Any], str]
) -> None:
    """A new link: JSON, or its URL on a line of its own, never folded (it is copied)."""
    if as_json:
        emit(data, as_json=True)
    else:
        typer.echo(shown(data))


def _shown(link: PortalLink) -> str:
    kind = "shareable, opens until" if link.shareable else "opens once, until"
    features = ", ".join(link.features)
    return f"{link.location}\nlink: {link.id} ({features}; {kind} {link.expire_time.isoformat()})"


@operation(portal_app, "link", opens=sso_application)
def link(
    t: Tenantry,
    organization_id: OrgArg,
    feature: Annotated[
        list[str] | None,
        typer.Option(
            help="sso, dir_sync or domain_verification; repeat (default: sso and dir_sync).",
            show_default=False,
        ),
    ] = None,
    shareable: Annotated[
        bool, typer.Option(help="Opens as often as wanted for 7 days (default: once, 1 minute).")
    ] = False,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Generate a portal link (printed this once: only its hash is kept)."""
    new = t.generate_portal_link(
        organization_id,
        feature,
        shareable=shareable,
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
    )
    printed(new, json_output, _shown)


@operation(portal_app, "links", opens=sso_application)
def links(t: Tenantry, organization_id: OrgArg) -> list[PortalLinkInfo]:
    """List the links that can still be opened or have a live session."""
    return t.list_portal_links(organization_id)


@operation(
    portal_app,
    "revoke",
    view=lambda r: f"revoked {', '.join(r.revoked) or 'nothing'}",
    opens=sso_application,
)
def revoke(
    t: Tenantry,
    organization_id: OrgArg,
    link_id: Annotated[
        str | None,
        typer.Argument(help="The link's id (lnk_…); default: every link.", show_default=False),
    ] = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Revoked:
    """Revoke a link, or all: they no longer open and their sessions end."""
    if link_id is None:
        ids = t.revoke_portal_links(
            organization_id, actor=actor, on_behalf_of=on_behalf_of, reason=reason
        )
    else:
        t.revoke_portal_link(
            organization_id, link_id, actor=actor, on_behalf_of=on_behalf_of, reason=reason
        )
        ids = [link_id]
    return Revoked(action="revoked", organization_id=organization_id, revoked=ids)


@operation(portal_app, "sweep", opens=sso_application)
def sweep(
    t: Tenantry,
    organization_id: Annotated[str | None, typer.Argument(help="One org (default: all).")] = None,
    actor: ActorOpt = SWEEP_ACTOR,
) -> PortalLinkSweep:
    """Record PortalLinkExpired for every link past its time (`tenantry serve` does it too)."""
    return t.expire_portal_links(organization_id, actor=actor)
