"""``tenantry members | users | sweep``: memberships and invitations, users and the expiry
sweep."""

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Group, RenderableType
from rich.table import Table

from tenantry.adapters.cli import parsing
from tenantry.adapters.cli.operation import Done, operation
from tenantry.adapters.cli.options import (
    CLI_ACTOR,
    ActorOpt,
    ExpiresInOpt,
    MetadataOpt,
    OnBehalfOfOpt,
    OrgArg,
    PageSizeOpt,
    PageTokenOpt,
    ReasonOpt,
    RolesOpt,
    UserArg,
)
from tenantry.adapters.cli.progress import caught_up, progress
from tenantry.adapters.cli.rendering import footer
from tenantry.adapters.projections.due_invitations import PendingInvitationIndex
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.projections import dto as pdto

members_app = typer.Typer(help="Members and invitations.", no_args_is_help=True)
users_app = typer.Typer(help="Users (one identity across organizations).", no_args_is_help=True)
commands = typer.Typer()
"""``sweep``, a top-level command."""


@operation(members_app, "invite")
def members_invite(
    t: Tenantry,
    organization_id: OrgArg,
    email: Annotated[str, typer.Argument(help="Who to invite.")],
    role: RolesOpt = None,
    metadata: MetadataOpt = None,
    inviter_email: Annotated[str | None, typer.Option(help="Who invites.")] = None,
    expires_in: ExpiresInOpt = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Invite someone: a pending membership that holds a seat until it expires."""
    return t.invite_member(
        organization_id,
        email,
        roles=role,
        metadata=parsing.pairs(metadata, "membership.metadata"),
        inviter_email=inviter_email,
        expires_in=parsing.duration(expires_in, "expires_in"),
        actor=actor,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )


@operation(members_app, "add")
def members_add(
    t: Tenantry,
    organization_id: OrgArg,
    email: Annotated[str, typer.Argument(help="Who to add.")],
    role: RolesOpt = None,
    metadata: MetadataOpt = None,
    provisioning_method: Annotated[
        str, typer.Option(help="direct_provision, jit_using_sso or allowed_email_domain.")
    ] = "direct_provision",
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Make someone an active member at once (direct, SCIM or JIT provisioning)."""
    return t.add_member(
        organization_id,
        email,
        roles=role,
        metadata=parsing.pairs(metadata, "membership.metadata"),
        provisioning_method=provisioning_method,
        actor=actor,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )


@operation(members_app, "accept")
def members_accept(
    t: Tenantry,
    organization_id: OrgArg,
    user: UserArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
) -> dto.Membership:
    """Accept a still-valid invitation (takes no new seat)."""
    return t.accept_invitation(organization_id, user, actor=actor, on_behalf_of=on_behalf_of)


@operation(members_app, "resend")
def members_resend(
    t: Tenantry,
    organization_id: OrgArg,
    user: UserArg,
    expires_in: ExpiresInOpt = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Resend an invitation: a pending one is extended, an expired one replaced (needs a seat)."""
    return t.resend_invitation(
        organization_id,
        user,
        expires_in=parsing.duration(expires_in, "expires_in"),
        actor=actor,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )


def _done_view(d: Done) -> str:
    return f"{d.action} {d.user} in {d.organization_id}"


@operation(members_app, "roles")
def members_roles(
    t: Tenantry,
    organization_id: OrgArg,
    user: UserArg,
    roles: Annotated[list[str], typer.Argument(help="The member's roles from now on.")],
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Replace a member's roles."""
    return t.update_member_roles(
        organization_id, user, roles, actor=actor, reason=reason, on_behalf_of=on_behalf_of
    )


@operation(members_app, "metadata")
def members_metadata(
    t: Tenantry,
    organization_id: OrgArg,
    user: UserArg,
    pairs: Annotated[
        list[str] | None, typer.Argument(help="KEY=VALUE pairs (none clears).")
    ] = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Replace a member's metadata."""
    return t.update_member_metadata(
        organization_id,
        user,
        parsing.pairs(pairs, "membership.metadata"),
        actor=actor,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )


def _member_transition(
    name: str, method: Callable[..., dto.Membership | None], doc: str, done: str | None = None
) -> None:
    """Registers ``members NAME ORG USER``: one membership transition, with actor and reason."""

    def command(
        t: Tenantry,
        organization_id: OrgArg,
        user: UserArg,
        actor: ActorOpt = CLI_ACTOR,
        on_behalf_of: OnBehalfOfOpt = None,
        reason: ReasonOpt = None,
    ) -> dto.Membership | Done | None:
        result = method(
            t, organization_id, user, actor=actor, reason=reason, on_behalf_of=on_behalf_of
        )
        if done is None:
            return result
        return Done(action=done, organization_id=organization_id, user=user)

    command.__doc__ = doc
    operation(members_app, name, view=None if done is None else _done_view)(command)


_member_transition(
    "revoke", Tenantry.revoke_invitation, "Revoke a pending invitation (its seat is freed).",
    done="revoked",
)  # fmt: skip
_member_transition(
    "remove", Tenantry.remove_member,
    "Remove a member or withdraw an invitation (the seat is freed).", done="removed",
)  # fmt: skip
_member_transition(
    "deactivate", Tenantry.deactivate_member,
    "Suspend an active member (INACTIVE; the seat is freed).",
)  # fmt: skip
_member_transition(
    "reactivate", Tenantry.reactivate_member,
    "Make an inactive member active again (needs a free seat).",
)  # fmt: skip


@operation(members_app, "get")
def members_get(t: Tenantry, organization_id: OrgArg, user: UserArg) -> dto.Membership:
    """Show one membership with its invitation."""
    return t.get_membership(organization_id, user)


def _member_page_view(page: pdto.MemberPage) -> RenderableType:
    table = Table()
    table.add_column("user_id", no_wrap=True)
    for column in ("email", "status", "roles", "joined / expires (UTC)"):
        table.add_column(column, overflow="fold")
    for m in page.members:
        when = m.join_time or m.expires_at
        table.add_row(
            m.user_id, m.email, m.status, ", ".join(m.roles),
            when.strftime("%Y-%m-%d %H:%M") if when else "—",
        )  # fmt: skip
    return Group(
        table,
        footer(page.total_size, len(page.members), page.next_page_token, page.prev_page_token),
    )


@operation(members_app, "list", view=_member_page_view)
def members_list(
    t: Tenantry,
    organization_id: OrgArg,
    status: Annotated[
        str | None,
        typer.Option(
            help="ACTIVE, INACTIVE, PENDING_INVITE, INVITE_EXPIRED or REMOVED.",
            show_default=False,
        ),
    ] = None,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
) -> pdto.MemberPage:
    """List an organization's members and invitations (page size 1-100, default 30)."""
    with caught_up(t, "memberships") as store:
        return store.list_members(
            organization_id, status=status, page_size=page_size, page_token=page_token
        )


@operation(users_app, "get")
def users_get(t: Tenantry, user: UserArg) -> dto.User:
    """Show a user, by id or e-mail."""
    return t.get_user(user)


@operation(commands, "sweep")
def sweep(
    t: Tenantry,
    organization_id: Annotated[str | None, typer.Argument(help="One org (default: all).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Invitations per transaction.")] = 200,
    actor: ActorOpt = "system:expiry-sweep",
) -> dto.ExpirySweep:
    """Record InvitationExpired for every invitation whose time has passed."""
    # Due invitations come from the seats read model (caught up first), not the histories.
    with caught_up(t, "seats") as store, progress("expiring invitations") as advance:
        return t.expire_invitations(
            organization_id,
            batch_size=batch_size,
            actor=actor,
            progress=advance,
            index=PendingInvitationIndex(store),
        )
