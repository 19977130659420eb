"""The official Python SDK's roles and permissions calls (``scalekit_client.roles``,
``scalekit_client.permissions``: ``scalekit.v1.roles.RolesService``) against a real
``tenantry serve --http2`` over TLS: each served call's life cycle, its refusals with their
status and ``error_code``, the ``roles:*`` scopes, and the audit log naming the client."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from scalekit import ScalekitClient
from scalekit.common.exceptions import (
    ScalekitBadRequestException,
    ScalekitConflictException,
    ScalekitForbiddenException,
    ScalekitNotFoundException,
    ScalekitNotImplementedException,
)
from scalekit.v1.organizations.organizations_pb2 import CreateOrganization
from scalekit.v1.roles.roles_pb2 import (
    CreateOrganizationRole,
    CreatePermission,
    CreateRole,
    DeleteRoleRequest,
    UpdateDefaultOrganizationRolesRequest,
    UpdateDefaultRole,
    UpdateDefaultRolesRequest,
    UpdateRole,
)

from tests.e2e.http_support import Server
from tests.e2e.sdk_support import answer, made_client


@pytest.fixture(scope="module")
def scalekit_client(sdk_server: Server) -> ScalekitClient:
    return ScalekitClient(sdk_server.base_url, sdk_server.client_id, sdk_server.client_secret)


def _role(response: Any) -> Any:
    return answer(response).role


def _names(roles: Any) -> list[str]:
    return [r.name for r in roles]


def _org_id(client: ScalekitClient, name: str) -> str:
    made = client.organization.create_organization(CreateOrganization(display_name=name))
    org_id: str = answer(made).organization.id
    return org_id


def test_environment_roles_are_created_read_listed_updated_and_deleted(
    scalekit_client: ScalekitClient,
) -> None:
    roles = scalekit_client.roles
    made = _role(
        roles.create_role(
            CreateRole(
                name="editor",
                display_name="Editor",
                description="Edits content",
                extends="member",
                permissions=["posts:write", "posts:read"],
            )
        )
    )
    assert (made.name, made.display_name, made.description, made.extends) == (
        "editor",
        "Editor",
        "Edits content",
        "member",
    )
    assert [p.name for p in made.permissions] == ["posts:read", "posts:write"]
    assert {p.role_name for p in made.permissions} == {"editor"}
    assert made.id
    assert not made.is_org_role
    assert not made.default_member
    assert _role(roles.get_role("editor")) == made

    listed = answer(roles.list_roles()).roles
    assert {"admin", "member", "editor"} <= set(_names(listed))
    member = next(r for r in listed if r.name == "member")
    assert member.default_member
    assert member.dependent_roles_count >= 1
    assert next(r for r in listed if r.name == "admin").default_creator

    changed = _role(
        roles.update_role("editor", UpdateRole(display_name="Chief editor", extends=""))
    )
    assert changed.display_name == "Chief editor"
    assert not changed.HasField("extends")  # "" extends none
    assert changed.description == "Edits content"  # not given: kept
    assert [p.name for p in changed.permissions] == ["posts:read", "posts:write"]
    # Asking for what already is answers the role as it is.
    assert _role(roles.update_role("editor", UpdateRole(display_name="Chief editor"))) == changed

    roles.delete_role("editor", reassign_role_name="member")
    with pytest.raises(ScalekitNotFoundException) as gone:
        roles.get_role("editor")
    assert gone.value.error_code == "role_not_found"
    assert "editor" not in _names(answer(roles.list_roles()).roles)


def test_deleting_a_role_moves_its_holders_to_the_role_named(
    sdk_server: Server, scalekit_client: ScalekitClient
) -> None:
    roles = scalekit_client.roles
    roles.create_role(CreateRole(name="reviewer", display_name="Reviewer"))
    roles.create_role(CreateRole(name="auditor", display_name="Auditor"))
    org_id = _org_id(scalekit_client, "Holders")
    with sdk_server.client() as api:
        added = api.post(
            f"/api/v1/organizations/{org_id}/users",
            params={"send_invitation_email": "false"},
            json={"email": "ada@holders.example", "membership": {"roles": [{"name": "reviewer"}]}},
        )
        assert added.status_code == 201, added.text
        held = f"/api/v1/organizations/{org_id}/users/ada@holders.example/roles"
        assert [r["name"] for r in api.get(held).json()["roles"]] == ["reviewer"]

        # The SDK's delete_role sends a name; the request also takes the role's id.
        reassign_id = _role(roles.get_role("auditor")).id
        scalekit_client.core_client.grpc_exec(
            roles.role_service.DeleteRole.with_call,
            DeleteRoleRequest(role_name="reviewer", reassign_role_id=reassign_id),
        )
        assert [r["name"] for r in api.get(held).json()["roles"]] == ["auditor"]

    with pytest.raises(ScalekitBadRequestException) as unnamed:
        roles.delete_role("auditor")  # tenantry moves the holders: it needs the role to give
    assert unnamed.value.error_code == "invalid_field"
    assert "reassign_role_name" in unnamed.value.message
    assert _role(roles.get_role("auditor")).name == "auditor"


def test_role_refusals_carry_their_status_and_error_code(
    scalekit_client: ScalekitClient,
) -> None:
    roles = scalekit_client.roles
    roles.create_role(CreateRole(name="base", display_name="Base"))
    roles.create_role(CreateRole(name="derived", display_name="Derived", extends="base"))

    with pytest.raises(ScalekitConflictException) as taken:
        roles.create_role(CreateRole(name="base", display_name="Again"))
    assert taken.value.grpc_status == grpc.StatusCode.ALREADY_EXISTS
    assert taken.value.error_code == "role_already_exists"
    assert "base" in taken.value.message

    with pytest.raises(ScalekitBadRequestException) as bad_name:
        roles.create_role(CreateRole(name="Not A Name!", display_name="X"))
    assert bad_name.value.grpc_status == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_name.value.error_code == "invalid_field"
    assert "name" in bad_name.value.message

    with pytest.raises(ScalekitBadRequestException) as bad_permission:
        roles.create_role(CreateRole(name="p", display_name="P", permissions=["Not Valid"]))
    assert bad_permission.value.error_code == "invalid_field"
    assert "permissions" in bad_permission.value.message

    with pytest.raises(ScalekitBadRequestException) as unknown_parent:
        roles.create_role(CreateRole(name="orphan", display_name="O", extends="nobody"))
    assert unknown_parent.value.error_code == "unknown_parent_role"

    with pytest.raises(ScalekitBadRequestException) as cycle:
        roles.update_role("base", UpdateRole(extends="derived"))
    assert cycle.value.error_code == "role_inheritance_cycle"
    assert "extends" in cycle.value.message

    with pytest.raises(ScalekitBadRequestException) as blank:
        roles.get_role("")
    assert blank.value.error_code == "invalid_field"
    assert "role_name" in blank.value.message

    with pytest.raises(ScalekitNotFoundException) as missing:
        roles.update_role("nobody", UpdateRole(display_name="N"))
    assert missing.value.grpc_status == grpc.StatusCode.NOT_FOUND
    assert missing.value.error_code == "role_not_found"

    with pytest.raises(ScalekitBadRequestException) as extended:
        roles.delete_role("base", reassign_role_name="member")
    assert extended.value.grpc_status == grpc.StatusCode.FAILED_PRECONDITION
    assert extended.value.error_code == "role_has_descendants"
    assert "derived" in extended.value.message

    with pytest.raises(ScalekitBadRequestException) as default:
        roles.delete_role("member", reassign_role_name="admin")
    assert default.value.grpc_status == grpc.StatusCode.FAILED_PRECONDITION
    assert default.value.error_code == "default_role_in_use"

    with pytest.raises(ScalekitBadRequestException) as itself:
        roles.delete_role("derived", reassign_role_name="derived")
    assert itself.value.error_code == "invalid_field"
    assert "reassign_to" in itself.value.message


def test_the_role_a_role_extends_is_removed_and_dependents_listed(
    scalekit_client: ScalekitClient,
) -> None:
    roles = scalekit_client.roles
    roles.create_role(CreateRole(name="viewer", display_name="Viewer"))
    roles.create_role(CreateRole(name="commenter", display_name="C", extends="viewer"))
    assert _role(roles.get_role("viewer")).dependent_roles_count == 1
    assert _names(answer(roles.list_dependent_roles("viewer")).roles) == ["commenter"]
    roles.delete_role_base("commenter")
    assert not _role(roles.get_role("commenter")).HasField("extends")
    assert _names(answer(roles.list_dependent_roles("viewer")).roles) == []
    roles.delete_role("viewer", reassign_role_name="member")  # no longer extended
    with pytest.raises(ScalekitNotFoundException):
        roles.list_dependent_roles("viewer")


def test_the_default_member_role_is_set_for_the_environment_and_an_organization(
    scalekit_client: ScalekitClient,
) -> None:
    roles = scalekit_client.roles
    roles.create_role(CreateRole(name="newcomer", display_name="Newcomer"))
    try:
        answered = answer(
            roles.update_default_roles(default_creator_role="admin", default_member_role="newcomer")
        )
        assert answered.default_member.name == "newcomer"
        assert answered.default_member.default_member
        assert answered.default_creator.name == "admin"
        assert _role(roles.get_role("newcomer")).default_member
        assert not _role(roles.get_role("member")).default_member
        # The same again changes nothing and answers the same.
        again = roles.update_default_roles(
            default_creator_role="admin", default_member_role="newcomer"
        )
        assert answer(again).default_member.name == "newcomer"

        with pytest.raises(ScalekitBadRequestException) as creator:
            roles.update_default_roles(
                default_creator_role="newcomer", default_member_role="member"
            )
        assert creator.value.error_code == "invalid_field"
        assert "default_creator_role" in creator.value.message
        with pytest.raises(ScalekitNotFoundException) as unknown:
            roles.update_default_roles(default_creator_role="admin", default_member_role="nobody")
        assert unknown.value.error_code == "role_not_found"
        by_id = UpdateDefaultRolesRequest(default_member=UpdateDefaultRole(id="role_1"))
        with pytest.raises(ScalekitBadRequestException) as no_name:
            scalekit_client.core_client.grpc_exec(
                roles.role_service.UpdateDefaultRoles.with_call, by_id
            )
        assert "default_member.name" in no_name.value.message
    finally:
        roles.update_default_roles(default_creator_role="admin", default_member_role="member")
    assert _role(roles.get_role("member")).default_member

    org_id = _org_id(scalekit_client, "Defaults")
    roles.create_organization_role(org_id, CreateOrganizationRole(name="trainee", display_name="T"))
    set_org = roles.update_default_organization_roles(
        org_id, UpdateDefaultOrganizationRolesRequest(default_member_role="trainee")
    )
    assert answer(set_org).default_member.name == "trainee"
    assert _role(roles.get_organization_role(org_id, "trainee")).default_member
    with pytest.raises(ScalekitNotFoundException):
        roles.update_default_organization_roles(
            org_id, UpdateDefaultOrganizationRolesRequest(default_member_role="nobody")
        )


def test_organization_roles_are_created_read_listed_updated_and_deleted(
    scalekit_client: ScalekitClient,
) -> None:
    roles = scalekit_client.roles
    org_id = _org_id(scalekit_client, "Org roles")
    made = _role(
        roles.create_organization_role(
            org_id,
            CreateOrganizationRole(
                name="billing", display_name="Billing", extends="member", permissions=["bills:read"]
            ),
        )
    )
    assert made.is_org_role
    assert made.extends == "member"
    assert [p.name for p in made.permissions] == ["bills:read"]
    assert _role(roles.get_organization_role(org_id, "billing")) == made
    assert _names(answer(roles.list_organization_roles(org_id)).roles) == ["billing"]

    changed = _role(
        roles.update_organization_role(
            org_id, "billing", UpdateRole(description="Pays", permissions=["bills:write"])
        )
    )
    assert changed.description == "Pays"
    assert [p.name for p in changed.permissions] == ["bills:write"]
    roles.delete_organization_role_base(org_id, "billing")
    assert not _role(roles.get_organization_role(org_id, "billing")).HasField("extends")

    with pytest.raises(ScalekitConflictException) as taken:
        roles.create_organization_role(org_id, CreateOrganizationRole(name="billing"))
    assert taken.value.error_code == "role_already_exists"
    with pytest.raises(ScalekitConflictException) as environment_name:
        roles.create_organization_role(org_id, CreateOrganizationRole(name="admin"))
    assert environment_name.value.error_code == "role_already_exists"

    roles.delete_organization_role(org_id, "billing", reassign_role_name="member")
    with pytest.raises(ScalekitNotFoundException) as gone:
        roles.get_organization_role(org_id, "billing")
    assert gone.value.error_code == "role_not_found"
    assert _names(answer(roles.list_organization_roles(org_id)).roles) == []

    scalekit_client.organization.delete_organization(org_id)
    with pytest.raises(ScalekitNotFoundException) as no_org:
        roles.list_organization_roles(org_id)
    assert no_org.value.error_code == "organization_not_found"


def test_permissions_are_those_the_roles_grant(scalekit_client: ScalekitClient) -> None:
    roles, permissions = scalekit_client.roles, scalekit_client.permissions
    roles.create_role(CreateRole(name="reader", display_name="R", permissions=["docs:read"]))
    roles.create_role(
        CreateRole(name="writer", display_name="W", extends="reader", permissions=["docs:write"])
    )
    assert [p.name for p in answer(permissions.list_role_permissions("writer")).permissions] == [
        "docs:write"
    ]
    effective = answer(permissions.list_effective_role_permissions("writer")).permissions
    assert [p.name for p in effective] == ["docs:read", "docs:write"]

    added = answer(permissions.add_permissions_to_role("writer", ["docs:delete", "docs:write"]))
    assert [p.name for p in added.permissions] == ["docs:delete", "docs:write"]
    permissions.remove_permission_from_role("writer", "docs:delete")
    assert [p.name for p in answer(permissions.list_role_permissions("writer")).permissions] == [
        "docs:write"
    ]
    with pytest.raises(ScalekitNotFoundException) as not_held:
        permissions.remove_permission_from_role("writer", "docs:delete")
    assert not_held.value.error_code == "permission_not_found"
    with pytest.raises(ScalekitBadRequestException) as bad:
        permissions.add_permissions_to_role("writer", ["Nope"])
    assert "permission_names" in bad.value.message

    assert answer(permissions.get_permission("docs:read")).permission.name == "docs:read"
    with pytest.raises(ScalekitNotFoundException) as unknown:
        permissions.get_permission("docs:publish")
    assert unknown.value.error_code == "permission_not_found"

    seen: list[str] = []
    token = None
    while True:
        page = answer(permissions.list_permissions(page_token=token, page_size=1))
        seen += [p.name for p in page.permissions]
        token = page.next_page_token or None
        if token is None:
            break
    assert {"docs:read", "docs:write"} <= set(seen)
    assert len(seen) == len(set(seen)) == page.total_size

    with pytest.raises(ScalekitNotImplementedException) as create:
        permissions.create_permission(CreatePermission(name="docs:read", description="Read"))
    assert "RolesService.CreatePermission" in create.value.message
    with pytest.raises(ScalekitNotImplementedException) as count:
        roles.get_role_users_count("reader")
    assert "GetRoleUsersCount" in count.value.message


def test_a_client_with_roles_read_cannot_create_and_a_restricted_one_not_environment_roles(
    sdk_server: Server, scalekit_client: ScalekitClient
) -> None:
    reader = made_client(sdk_server, "--scope", "roles:read")
    assert "admin" in _names(answer(reader.roles.list_roles()).roles)
    with pytest.raises(ScalekitForbiddenException) as denied:
        reader.roles.create_role(CreateRole(name="nope", display_name="Nope"))
    assert denied.value.grpc_status == grpc.StatusCode.PERMISSION_DENIED
    assert denied.value.error_code == "permission_denied"
    assert "roles:write" in denied.value.message
    with pytest.raises(ScalekitForbiddenException):
        reader.permissions.add_permissions_to_role("admin", ["x:y"])

    mine = _org_id(scalekit_client, "Mine")
    other = _org_id(scalekit_client, "Theirs")
    restricted = made_client(sdk_server, "--scope", "roles:write", "--organization", mine)
    restricted.roles.create_organization_role(mine, CreateOrganizationRole(name="local"))
    with pytest.raises(ScalekitNotFoundException) as hidden:  # as if it did not exist
        restricted.roles.list_organization_roles(other)
    assert hidden.value.error_code == "organization_not_found"
    with pytest.raises(ScalekitForbiddenException) as environment:
        restricted.roles.create_role(CreateRole(name="global"))
    assert "environment" in environment.value.message


def test_role_writes_are_attributed_to_the_client_in_the_audit_log(sdk_server: Server) -> None:
    writer = made_client(sdk_server, "--scope", "roles:write")
    writer.roles.create_role(CreateRole(name="attributed", display_name="A"))
    writer.permissions.add_permissions_to_role("attributed", ["audit:read"])
    writer.roles.delete_role("attributed", reassign_role_name="member")
    actor = f"client:{writer.core_client.client_id}"
    with sdk_server.client() as api:
        log = api.get("/api/v1/audit", params={"actor": actor, "page_size": 100})
    assert log.status_code == 200, log.text
    # (the environment's role book is opened by its first write, whoever makes it)
    entries = [e for e in log.json()["entries"] if e["event"] != "RoleBook.Opened"]
    assert [(e["aggregate"], e["event"]) for e in entries] == [
        ("RoleBook", "RoleBook.Defined"),
        ("RoleBook", "RoleBook.Updated"),
        ("RoleBook", "RoleBook.Deleted"),
    ]
    assert {e["actor"] for e in entries} == {actor}
    assert entries[0]["data"]["role"]["name"] == "attributed"
    assert entries[1]["data"]["role"]["permissions"] == ["audit:read"]
