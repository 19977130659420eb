"""Roles: the environment's and each organization's role definitions, the default role of new
members, and a member's roles and effective permissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response

from tenantry.adapters.http import role_schemas as rs
from tenantry.adapters.http import schemas
from tenantry.adapters.http.routing import (
    App,
    By,
    OrgId,
    Routes,
    UserRef,
    json_response,
    unchanged_ok,
    written,
)

routes = Routes("roles")

_ROLES = "/api/v1/roles"
_ORG_ROLES = "/api/v1/organizations/{organization_id}/roles"
RoleName = Annotated[str, Path(description="The role's name.", max_length=64)]
Reassign = Annotated[
    str,
    Query(description="The role the deleted role's holders get instead.", max_length=64),
]


def _role(role: object, status_code: int = 200, t: App | None = None) -> Response:
    body = rs.RoleResponse.model_validate({"role": role})
    return json_response(body, status_code) if t is None else written(t, body, status_code)


# --- environment roles -------------------------------------------------------------------------


@routes.get(_ROLES, summary="List the environment's roles", response_model=rs.RoleList)
def list_roles(t: App) -> Response:
    return json_response(rs.RoleList.of(t.list_roles()))


@routes.post(_ROLES, status_code=201, summary="Create a role", response_model=rs.RoleResponse)
def create_role(t: App, by: By, body: rs.CreateRole) -> Response:
    return _role(t.create_role(body.name, **body.fields(), **by.kwargs()), 201, t)


@routes.patch(
    f"{_ROLES}:set_defaults", summary="Set the default role", response_model=rs.RoleResponse
)
def set_default_role(t: App, by: By, body: rs.SetDefaultRole) -> Response:
    name = body.default_member_role
    role = unchanged_ok(lambda: t.set_default_role(name, **by.kwargs()), t.get_default_role)
    return _role(role, t=t)


@routes.get(f"{_ROLES}/{{role_name}}", summary="Get a role", response_model=rs.RoleResponse)
def get_role(t: App, role_name: RoleName) -> Response:
    return _role(t.get_role(role_name))


@routes.patch(f"{_ROLES}/{{role_name}}", summary="Update a role", response_model=rs.RoleResponse)
def update_role(t: App, by: By, role_name: RoleName, body: rs.UpdateRole) -> Response:
    role = unchanged_ok(
        lambda: t.update_role(role_name, **body.changes(), **by.kwargs()),
        lambda: t.get_role(role_name),
    )
    return _role(role, t=t)


@routes.delete(
    f"{_ROLES}/{{role_name}}",
    summary="Delete a role; its holders get another",
    response_model=schemas.Empty,
)
def delete_role(t: App, by: By, role_name: RoleName, reassign_role_name: Reassign) -> Response:
    t.delete_role(role_name, reassign_to=reassign_role_name, **by.kwargs())
    return written(t, schemas.Empty())


# --- organization roles ------------------------------------------------------------------------


@routes.get(_ORG_ROLES, summary="List an organization's roles", response_model=rs.RoleList)
def list_organization_roles(t: App, organization_id: OrgId) -> Response:
    return json_response(rs.RoleList.of(t.list_organization_roles(organization_id)))


@routes.post(
    _ORG_ROLES,
    status_code=201,
    summary="Create an organization role",
    response_model=rs.RoleResponse,
)
def create_organization_role(
    t: App, by: By, organization_id: OrgId, body: rs.CreateRole
) -> Response:
    made = t.create_organization_role(organization_id, body.name, **body.fields(), **by.kwargs())
    return _role(made, 201, t)


@routes.patch(
    f"{_ORG_ROLES}:set_defaults",
    summary="Set an organization's default role",
    response_model=rs.RoleResponse,
)
def set_organization_default_role(
    t: App, by: By, organization_id: OrgId, body: rs.SetDefaultRole
) -> Response:
    name = body.default_member_role
    role = unchanged_ok(
        lambda: t.set_default_role(name, organization_id=organization_id, **by.kwargs()),
        lambda: t.get_default_role(organization_id),
    )
    return _role(role, t=t)


@routes.get(
    f"{_ORG_ROLES}/{{role_name}}",
    summary="Get an organization role",
    response_model=rs.RoleResponse,
)
def get_organization_role(t: App, organization_id: OrgId, role_name: RoleName) -> Response:
    return _role(t.get_organization_role(organization_id, role_name))


@routes.patch(
    f"{_ORG_ROLES}/{{role_name}}",
    summary="Update an organization role",
    response_model=rs.RoleResponse,
)
def update_organization_role(
    t: App, by: By, organization_id: OrgId, role_name: RoleName, body: rs.UpdateRole
) -> Response:
    changes = body.changes()
    role = unchanged_ok(
        lambda: t.update_organization_role(organization_id, role_name, **changes, **by.kwargs()),
        lambda: t.get_organization_role(organization_id, role_name),
    )
    return _role(role, t=t)


@routes.delete(
    f"{_ORG_ROLES}/{{role_name}}",
    summary="Delete an organization role; its holders get another",
    response_model=schemas.Empty,
)
def delete_organization_role(
    t: App, by: By, organization_id: OrgId, role_name: RoleName, reassign_role_name: Reassign
) -> Response:
    t.delete_organization_role(
        organization_id, role_name, reassign_to=reassign_role_name, **by.kwargs()
    )
    return written(t, schemas.Empty())


# --- a member's roles --------------------------------------------------------------------------

_MEMBER = "/api/v1/organizations/{organization_id}/users/{user_id}"


@routes.get(f"{_MEMBER}/roles", summary="A member's roles", response_model=rs.RoleList)
def list_user_roles(t: App, organization_id: OrgId, user_id: UserRef) -> Response:
    return json_response(rs.RoleList.of(t.list_user_roles(organization_id, user_id)))


@routes.get(
    f"{_MEMBER}/permissions",
    summary="A member's effective permissions",
    response_model=rs.PermissionList,
)
def list_user_permissions(t: App, organization_id: OrgId, user_id: UserRef) -> Response:
    found = t.list_user_permissions(organization_id, user_id)
    return json_response(rs.PermissionList(permissions=found))
