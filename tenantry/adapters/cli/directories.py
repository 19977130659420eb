"""``tenantry directories …``: an organization's SCIM directories — create, list, get, update
(provider, name, mapping), enable, disable, delete — and their bearer tokens (``secret-create``,
``secret-revoke``); ``users`` and ``groups`` list what a directory synced.

``secret-create`` prints the new token once (only its hash is kept): hand it to the directory's
admin with the ``directory_endpoint`` (under ``$TENANTRY_SSO_BASE_URL``, the server's public
base URL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table

from tenantry.adapters.cli import parsing
from tenantry.adapters.cli.connections import Deleted, sso_application
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import (
    CLI_ACTOR,
    ActorOpt,
    OnBehalfOfOpt,
    OrgArg,
    PageSizeOpt,
    PageTokenOpt,
    ReasonOpt,
)
from tenantry.adapters.cli.rendering import footer
from tenantry.adapters.moments import offset_moment
from tenantry.application.app import Tenantry
from tenantry.application.directory_dto import Directory, NewDirectorySecret
from tenantry.application.provisioning_dto import DirectoryGroupsPage, DirectoryUsersPage

directories_app = typer.Typer(
    help="SCIM directories of an organization (users and groups pushed by the IdP).",
    no_args_is_help=True,
)

DirArg = Annotated[str, typer.Argument(help="The directory's id (dir_…).", show_default=False)]
Opt = Annotated[str | None, typer.Option(show_default=False)]
UpdatedAfterOpt = Annotated[
    str | None,
    typer.Option(
        "--updated-after",
        help="Only those changed strictly after this RFC 3339 time (with its offset, e.g. "
        "2026-11-01T12:00:00Z).",
        show_default=False,
    ),
]


def _since(updated_after: str | None) -> datetime | None:
    return None if updated_after is None else offset_moment(updated_after, "updated_after")


def _public(t: Tenantry, directory: Directory) -> Directory:
    return directory.at(t.sso_config.base_url)


def _shown(secret: NewDirectorySecret) -> str:
    return (
        f"token (shown once): {secret.plain_secret}\n"
        f"endpoint: {secret.directory.directory_endpoint}\n"
        f"secret: {secret.secret.id} (…{secret.secret.secret_suffix})"
    )


@operation(directories_app, "create", opens=sso_application)
def create(
    t: Tenantry,
    organization_id: OrgArg,
    provider: Annotated[
        str, typer.Option(help="OKTA, MICROSOFT_ENTRA_ID, GOOGLE, JUMPCLOUD, ONELOGIN, CUSTOM.")
    ] = "CUSTOM",
    name: Opt = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Directory:
    """Create a directory (disabled, without a token: see secret-create)."""
    directory = t.create_directory(
        organization_id,
        provider,
        name=name,
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
    )
    return _public(t, directory)


@operation(directories_app, "list", opens=sso_application)
def list_(t: Tenantry, organization_id: OrgArg) -> list[Directory]:
    """List the organization's directories."""
    return [_public(t, d) for d in t.list_directories(organization_id)]


@operation(directories_app, "get", opens=sso_application)
def get(t: Tenantry, organization_id: OrgArg, directory_id: DirArg) -> Directory:
    """Show a directory (its tokens' ids, last characters and status; never a token)."""
    return _public(t, t.get_directory(organization_id, directory_id))


@operation(directories_app, "update", opens=sso_application)
def update(
    t: Tenantry,
    organization_id: OrgArg,
    directory_id: DirArg,
    provider: Opt = None,
    name: Annotated[str | None, typer.Option(help="'' clears it.", show_default=False)] = None,
    email: Annotated[
        str | None,
        typer.Option(help="auto, userName, emails.primary or emails.work.", show_default=False),
    ] = None,
    given_name: Annotated[
        str | None, typer.Option(help="A source (name.givenName, …) or 'none'.", show_default=False)
    ] = None,
    family_name: Annotated[
        str | None, typer.Option(help="A source or 'none'.", show_default=False)
    ] = None,
    metadata: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=SOURCE (e.g. dept=enterprise.department); repeat.", show_default=False
        ),
    ] = None,
    group_role: Annotated[
        list[str] | None, typer.Option(help="GROUP=ROLE; repeat.", show_default=False)
    ] = None,
    clear_metadata: Annotated[bool, typer.Option(help="Map no metadata.")] = False,
    clear_group_roles: Annotated[bool, typer.Option(help="Map no group to a role.")] = False,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Directory:
    """Change the provider label, the name or the mapping (each option given replaces its
    part; --metadata and --group-role replace the whole table)."""
    mapping: dict[str, Any] = {}
    if email is not None:
        mapping["email"] = email
    for key, source in (("given_name", given_name), ("family_name", family_name)):
        if source is not None:
            mapping[key] = None if source.lower() == "none" else source
    if metadata is not None or clear_metadata:
        mapping["metadata"] = parsing.pairs(metadata, "mapping.metadata")
    if group_role is not None or clear_group_roles:
        mapping["group_roles"] = parsing.pairs(group_role, "mapping.group_roles")
    given: dict[str, Any] = {} if name is None else {"name": name}
    directory = t.update_directory(
        organization_id,
        directory_id,
        provider=provider,
        mapping=mapping or None,
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
        **given,
    )
    return _public(t, directory)


@operation(directories_app, "enable", opens=sso_application)
def enable(
    t: Tenantry,
    organization_id: OrgArg,
    directory_id: DirArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Directory:
    """Enable provisioning (needs the dir_sync feature on)."""
    directory = t.enable_directory(
        organization_id, directory_id, actor=actor, on_behalf_of=on_behalf_of, reason=reason
    )
    return _public(t, directory)


@operation(directories_app, "disable", opens=sso_application)
def disable(
    t: Tenantry,
    organization_id: OrgArg,
    directory_id: DirArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Directory:
    """Disable provisioning (what the directory synced stays)."""
    directory = t.disable_directory(
        organization_id, directory_id, actor=actor, on_behalf_of=on_behalf_of, reason=reason
    )
    return _public(t, directory)


@operation(directories_app, "delete", view=lambda d: f"deleted {d.id}", opens=sso_application)
def delete(
    t: Tenantry,
    organization_id: OrgArg,
    directory_id: DirArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Deleted:
    """Delete a directory (its tokens stop; the members it provisioned stay)."""
    t.delete_directory(
        organization_id, directory_id, actor=actor, on_behalf_of=on_behalf_of, reason=reason
    )
    return Deleted(action="deleted", organization_id=organization_id, id=directory_id)


@operation(directories_app, "secret-create", view=_shown, opens=sso_application)
def secret_create(
    t: Tenantry,
    organization_id: OrgArg,
    directory_id: DirArg,
    grace_period: Annotated[
        str | None,
        typer.Option(
            help="How long the older tokens keep working (30m, 12h, 7d; default: they stop now).",
            show_default=False,
        ),
    ] = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> NewDirectorySecret:
    """Create a bearer token for the directory's SCIM client; it is printed this once."""
    directory, token = t.create_directory_secret(
        organization_id,
        directory_id,
        grace_period=parsing.duration(grace_period, "grace_period"),
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
    )
    return NewDirectorySecret.of(_public(t, directory), token)


@operation(directories_app, "secret-revoke", opens=sso_application)
def secret_revoke(
    t: Tenantry,
    organization_id: OrgArg,
    directory_id: DirArg,
    secret_id: Annotated[str, typer.Argument(help="The token's id (dsec_…).", show_default=False)],
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Directory:
    """Revoke one of the directory's tokens (it stops at once)."""
    directory = t.revoke_directory_secret(
        organization_id,
        directory_id,
        secret_id,
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
    )
    return _public(t, directory)


def _users_view(page: DirectoryUsersPage) -> RenderableType:
    table = Table()
    table.add_column("id", no_wrap=True)
    for column in ("userName", "email", "active", "groups"):
        table.add_column(column, overflow="fold")
    for u in page.users:
        groups = ", ".join(g.display_name for g in u.groups)
        table.add_row(u.id, u.user_name, u.email, "yes" if u.active else "no", groups)
    return Group(table, footer(page.total_size, len(page.users), page.next_page_token, ""))


def _groups_view(page: DirectoryGroupsPage) -> RenderableType:
    table = Table()
    table.add_column("id", no_wrap=True)
    table.add_column("displayName", overflow="fold")
    table.add_column("members", justify="right")
    for g in page.groups:
        table.add_row(g.id, g.display_name, str(g.total_users))
    return Group(table, footer(page.total_size, len(page.groups), page.next_page_token, ""))


@operation(directories_app, "users", view=_users_view, opens=sso_application)
def users(
    t: Tenantry,
    organization_id: OrgArg,
    directory_id: DirArg,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
    updated_after: UpdatedAfterOpt = None,
) -> DirectoryUsersPage:
    """List the users the directory synced, in the order it created them (page size 1-100,
    default 30); --updated-after: only those changed since (total counts them)."""
    return t.list_directory_users(
        organization_id,
        directory_id,
        page_size=page_size or 30,
        page_token=page_token,
        updated_after=_since(updated_after),
    )


@operation(directories_app, "groups", view=_groups_view, opens=sso_application)
def groups(
    t: Tenantry,
    organization_id: OrgArg,
    directory_id: DirArg,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
    updated_after: UpdatedAfterOpt = None,
) -> DirectoryGroupsPage:
    """List the groups the directory synced, with their member counts (page size 1-100,
    default 30); --updated-after: only those changed since (total counts them)."""
    return t.list_directory_groups(
        organization_id,
        directory_id,
        page_size=page_size or 30,
        page_token=page_token,
        updated_after=_since(updated_after),
    )
