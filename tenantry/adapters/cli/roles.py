"""``tenantry roles``: role definitions of the environment and of organizations, the default
role of new members, and a member's roles and effective permissions."""

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import (
    CLI_ACTOR,
    ActorOpt,
    OnBehalfOfOpt,
    OrgArg,
    ReasonOpt,
    UserArg,
)
from tenantry.adapters.cli.rendering import cell
from tenantry.application import dto
from tenantry.application.app import Tenantry

roles_app = typer.Typer(help="Roles and permissions.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="The role's name.", show_default=False)]
OrgOpt = Annotated[
    str | None,
    typer.Option("--org", help="An organization's roles (org_…); default: the environment's."),
]
DisplayNameOpt = Annotated[str | None, typer.Option(help="Shown to people.", show_default=False)]
DescriptionOpt = Annotated[str | None, typer.Option(help="What it is for.", show_default=False)]
ExtendsOpt = Annotated[
    str | None,
    typer.Option(help='The role whose permissions it inherits ("" for none).', show_default=False),
]
PermissionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--permission", "-p", help="e.g. users:read; repeat for more.", show_default=False
    ),
]


def _given(**options: Any) -> dict[str, Any]:
    """The options given (``None``: not given)."""
    return {name: value for name, value in options.items() if value is not None}


def _by(actor: str, reason: str | None, on_behalf_of: str | None) -> dict[str, Any]:
    return {"actor": actor, "reason": reason, "on_behalf_of": on_behalf_of}


def _roles_view(roles: list[dto.Role]) -> RenderableType:
    if not roles:
        return Text("(none)", style="dim")
    table = Table()
    for column in ("name", "display name", "extends", "effective permissions", "default"):
        table.add_column(column, overflow="fold")
    for r in roles:
        table.add_row(
            r.name,
            r.display_name,
            cell(r.extends),
            cell(r.effective_permissions),
            cell(r.is_default),
        )
    return table


@operation(roles_app, "list", view=_roles_view)
def roles_list(t: Tenantry, org: OrgOpt = None) -> list[dto.Role]:
    """The environment's roles, or an organization's own (--org)."""
    return t.list_roles() if org is None else t.list_organization_roles(org)


@operation(roles_app, "get")
def roles_get(t: Tenantry, name: NameArg, org: OrgOpt = None) -> dto.Role:
    """One role, with its effective permissions."""
    return t.get_role(name) if org is None else t.get_organization_role(org, name)


RoleWrite = Callable[[Tenantry, str, str | None, dict[str, Any]], dto.Role]
"""Creates or changes role ``name`` (of the environment, or of the organization given) with the
fields given and who makes the change."""


def _role_write(command_name: str, summary: str, write: RoleWrite) -> None:
    """Registers ``roles COMMAND``: create and update take the same options."""

    def command(
        t: Tenantry,
        name: NameArg,
        org: OrgOpt = None,
        display_name: DisplayNameOpt = None,
        description: DescriptionOpt = None,
        extends: ExtendsOpt = None,
        permission: PermissionOpt = None,
        actor: ActorOpt = CLI_ACTOR,
        on_behalf_of: OnBehalfOfOpt = None,
        reason: ReasonOpt = None,
    ) -> dto.Role:
        fields = _given(
            display_name=display_name,
            description=description,
            extends=extends,
            permissions=permission,
        )
        return write(t, name, org, {**fields, **_by(actor, reason, on_behalf_of)})

    command.__doc__ = summary
    command.__name__ = f"roles_{command_name}"
    operation(roles_app, command_name)(command)


_role_write(
    "create",
    "Define a role: of the environment (every organization sees it), or of one (--org).",
    lambda t, name, org, given: (
        t.create_role(name, **given)
        if org is None
        else t.create_organization_role(org, name, **given)
    ),
)
_role_write(
    "update",
    "Change a role: only the options given change (--permission replaces the list).",
    lambda t, name, org, given: (
        t.update_role(name, **given)
        if org is None
        else t.update_organization_role(org, name, **given)
    ),
)


@operation(roles_app, "delete")
def roles_delete(
    t: Tenantry,
    name: NameArg,
    reassign_to: Annotated[
        str, typer.Option(help="The role its holders get instead.", show_default=False)
    ],
    org: OrgOpt = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.RoleDeletion:
    """Delete a role; every member holding it gets --reassign-to instead."""
    by = _by(actor, reason, on_behalf_of)
    if org is None:
        return t.delete_role(name, reassign_to=reassign_to, **by)
    return t.delete_organization_role(org, name, reassign_to=reassign_to, **by)


@operation(roles_app, "set-default")
def roles_set_default(
    t: Tenantry,
    name: NameArg,
    org: OrgOpt = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Role:
    """Set the role new members get when admitted without roles."""
    return t.set_default_role(
        name, organization_id=org, actor=actor, reason=reason, on_behalf_of=on_behalf_of
    )


@operation(roles_app, "held", view=_roles_view)
def roles_held(t: Tenantry, organization_id: OrgArg, user: UserArg) -> list[dto.Role]:
    """The roles a member holds."""
    return t.list_user_roles(organization_id, user)


@operation(roles_app, "permissions")
def roles_permissions(t: Tenantry, organization_id: OrgArg, user: UserArg) -> list[str]:
    """A member's effective permissions (their roles' and those they extend)."""
    return t.list_user_permissions(organization_id, user)
