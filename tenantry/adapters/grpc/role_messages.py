"""tenantry's roles as the hosted API's protobuf messages (``scalekit.v1.roles``), and back.

A tenantry permission is a string a role grants (``users:read``), not an entity of its own: it
answers as a ``Permission``/``RolePermission`` whose ``id`` is its name, with no description or
times."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from scalekit.v1.roles import roles_pb2 as pb

from tenantry.application import dto
from tenantry.domain import role_values

CREATOR_ROLE: Final = "admin"
"""The role an organization's founder gets (sign-up makes them an admin): the hosted API's
"default creator" role, which tenantry does not let anyone change."""


def role(found: dto.Role, dependents: int = 0) -> pb.Role:
    """``found`` as a ``Role``; ``dependents``: how many roles of its scope extend it."""
    message = pb.Role(
        id=found.id,
        name=found.name,
        display_name=found.display_name,
        description=found.description,
        default_member=found.is_default,
        default_creator=found.organization_id is None and found.name == CREATOR_ROLE,
        permissions=role_permissions(found.name, found.permissions),
        dependent_roles_count=dependents,
        is_org_role=found.organization_id is not None,
    )
    if found.extends is not None:
        message.extends = found.extends
    return message


def roles(found: Sequence[dto.Role]) -> list[pb.Role]:
    """Roles of one scope, each with the count of the roles of that scope that extend it."""
    return [role(r, dependents_of(r.name, found)) for r in found]


def dependents_of(name: str, scope: Iterable[dto.Role]) -> int:
    return sum(1 for r in scope if r.extends == name)


def role_permissions(role_name: str, names: Iterable[str]) -> list[pb.RolePermission]:
    return [pb.RolePermission(id=p, name=p, role_name=role_name) for p in names]


def permission(name: str) -> pb.Permission:
    return pb.Permission(id=name, name=name, is_scalekit_permission=False)


def permissions(names: Iterable[str]) -> list[pb.Permission]:
    return [permission(p) for p in names]


def new_role(message: pb.CreateRole | pb.CreateOrganizationRole) -> tuple[str, dict[str, Any]]:
    """The name and the keyword fields of ``create_role`` a ``CreateRole`` gives."""
    fields: dict[str, Any] = {
        "display_name": message.display_name or None,  # none given: the role's name
        "permissions": list(message.permissions),
    }
    for name in ("description", "extends"):
        if message.HasField(name):
            fields[name] = getattr(message, name)
    return message.name, fields


def role_changes(message: pb.UpdateRole) -> dict[str, Any]:
    """The keyword changes of ``update_role`` an ``UpdateRole`` gives: the optional fields it
    sets (``extends=""``: it extends none) and ``permissions`` when it lists some (protobuf
    cannot tell an empty list from none; RemovePermissionFromRole takes one away)."""
    changes: dict[str, Any] = {
        name: getattr(message, name)
        for name in ("display_name", "description", "extends")
        if message.HasField(name)
    }
    if message.permissions:
        changes["permissions"] = list(message.permissions)
    return changes


def role_name(value: str, field: str = "role_name") -> str:
    """A role name given in a request, refused naming the request's ``field``."""
    return role_values.role_name(value, field)


def permission_names(values: Iterable[str], field: str) -> list[str]:
    """Permission names given in a request (each under the permission rule), sorted."""
    return role_values.permissions(list(values), field)
