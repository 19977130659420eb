"""The official Python SDK's user and membership calls (``scalekit_client.users``) against a real
``tenantry serve --http2`` over TLS: a user's whole life cycle, by id and by external id, paged
lists, roles and permissions, and the refusals — not found, already a member, an invalid field
named as sent, the seat limit (FAILED_PRECONDITION ``seat_limit_reached``, nothing recorded),
a missing scope and a client restricted to some organizations."""

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
)
from scalekit.v1.commons.commons_pb2 import MembershipStatus, Role
from scalekit.v1.organizations.organizations_pb2 import CreateOrganization
from scalekit.v1.users.users_pb2 import (
    AssignRoleRequest,
    AssignUserRolesRequest,
    CreateMembership,
    CreateUser,
    CreateUserProfile,
    DeleteMembershipRequest,
    RemoveUserRoleRequest,
    SearchOrganizationUsersRequest,
    SearchUsersRequest,
    UpdateMembership,
    UpdateUser,
    UpdateUserProfile,
)

from tests.e2e.http_support import Server
from tests.e2e.sdk_support import answer, made_client


@pytest.fixture(scope="module")
def server(sdk_server: Server) -> Server:
    return sdk_server


@pytest.fixture(scope="module")
def scalekit_client(server: Server) -> ScalekitClient:
    return ScalekitClient(server.base_url, server.client_id, server.client_secret)


@pytest.fixture(scope="module")
def roles(server: Server) -> None:
    """Two environment roles, defined over REST: ``editor`` extends ``viewer``."""
    with server.client() as api:
        for body in (
            {"name": "viewer", "display_name": "Viewer", "permissions": ["docs:read"]},
            {"name": "editor", "extends": "viewer", "permissions": ["docs:write"]},
        ):
            made = api.post("/api/v1/roles", json=body)
            assert made.status_code == 201, made.text


def _org(client: ScalekitClient, name: str) -> str:
    made = answer(client.organization.create_organization(CreateOrganization(display_name=name)))
    org_id: str = made.organization.id
    return org_id


def _user(response: Any) -> Any:
    return answer(response).user


def _history(server: Server, path: str) -> list[dict[str, Any]]:
    with server.client() as api:
        got = api.get(path)
    assert got.status_code == 200, got.text
    entries: list[dict[str, Any]] = got.json()["entries"]
    return entries


def test_a_user_and_membership_from_creation_to_deletion(
    server: Server, scalekit_client: ScalekitClient, roles: None
) -> None:
    users = scalekit_client.users
    org_id = _org(scalekit_client, "Life cycle")
    made = _user(
        users.create_user_and_membership(
            org_id,
            CreateUser(
                email="ada@example.com",
                external_id="ada-1",
                metadata={"team": "math"},
                user_profile=CreateUserProfile(given_name="Ada", family_name="Lovelace"),
                membership=CreateMembership(roles=[Role(name="viewer")], metadata={"seat": "a"}),
            ),
        )
    )
    assert made.id.startswith("usr_")
    assert (made.email, made.external_id) == ("ada@example.com", "ada-1")
    assert dict(made.metadata) == {"team": "math"}
    assert made.user_profile.given_name == made.user_profile.first_name == "Ada"
    [membership] = made.memberships
    assert membership.organization_id == org_id
    assert membership.membership_status == MembershipStatus.PENDING_INVITE
    assert [r.name for r in membership.roles] == ["viewer"]
    assert membership.roles[0].id.startswith("role_")
    assert dict(membership.metadata) == {"seat": "a"}
    assert membership.display_name == "Life cycle"
    history = _history(server, f"/api/v1/organizations/{org_id}/history")
    assert server.client_id in history[-1]["actor"]  # the caller is the actor

    assert _user(users.get_user(made.id)).external_id == "ada-1"
    fetched = _user(users.get_user_by_external_id("ada-1"))
    assert fetched.id == made.id
    assert [m.organization_id for m in fetched.memberships] == [org_id]

    updated = _user(
        users.update_user(
            made.id,
            UpdateUser(user_profile=UpdateUserProfile(name="Ada L."), metadata={"team": "cs"}),
        )
    )
    assert updated.user_profile.name == "Ada L."
    assert updated.user_profile.given_name == "Ada"  # fields not given are kept
    assert dict(updated.metadata) == {"team": "cs"}
    renamed = _user(users.update_user_by_external_id("ada-1", UpdateUser(external_id="ada-2")))
    assert renamed.external_id == "ada-2"
    cleared = _user(users.update_user(made.id, UpdateUser(external_id="")))
    assert not cleared.HasField("external_id")  # an empty external id clears it
    users.update_user(made.id, UpdateUser(external_id="ada-2"))

    changed = _user(
        users.update_membership(
            org_id,
            made.id,
            UpdateMembership(roles=[Role(name="editor")], metadata={"seat": "b"}),
        )
    )
    assert [r.name for r in changed.memberships[0].roles] == ["editor"]
    assert dict(changed.memberships[0].metadata) == {"seat": "b"}
    assert set(changed.memberships[0].permissions) == {"docs:read", "docs:write"}
    same = _user(users.update_membership(org_id, made.id, UpdateMembership()))
    assert [r.name for r in same.memberships[0].roles] == ["editor"]  # nothing given: as is

    invite = answer(users.resend_invite(org_id, made.id)).invite
    assert (invite.user_id, invite.organization_id) == (made.id, org_id)
    assert invite.status == "pending"
    assert invite.resent_count == 1
    assert invite.expires_at.seconds > invite.created_at.seconds

    held = answer(users.list_user_roles(org_id, made.id)).roles
    assert [(r.name, r.display_name) for r in held] == [("editor", "editor")]
    permissions = answer(users.list_user_permissions(org_id, made.id)).permissions
    assert sorted(p.name for p in permissions) == ["docs:read", "docs:write"]

    users.delete_membership(org_id, made.id)
    assert _user(users.get_user(made.id)).memberships == []
    with pytest.raises(ScalekitNotFoundException) as gone:
        users.list_user_roles(org_id, made.id)
    assert gone.value.error_code == "membership_not_found"

    users.delete_user(made.id)
    with pytest.raises(ScalekitNotFoundException) as deleted:
        users.get_user(made.id)
    assert deleted.value.grpc_status == grpc.StatusCode.NOT_FOUND
    assert deleted.value.error_code == "user_not_found"


def test_memberships_by_external_id_and_an_active_member_at_once(
    scalekit_client: ScalekitClient,
) -> None:
    users = scalekit_client.users
    first, second = _org(scalekit_client, "Ext one"), _org(scalekit_client, "Ext two")
    made = _user(
        users.create_user_and_membership(
            first, CreateUser(email="grace@example.com", external_id="grace"), False
        )
    )
    assert made.memberships[0].membership_status == MembershipStatus.ACTIVE
    assert made.memberships[0].provisioning_method == "direct_provision"

    joined = _user(
        users.create_membership_by_external_id(
            second, "grace", CreateMembership(metadata={"via": "ext"}), False
        )
    )
    assert joined.id == made.id
    assert joined.memberships[0].organization_id == second
    assert dict(joined.memberships[0].metadata) == {"via": "ext"}
    assert {m.organization_id for m in _user(users.get_user(made.id)).memberships} == {
        first,
        second,
    }
    moved = _user(
        users.update_membership_by_external_id(
            second, "grace", UpdateMembership(metadata={"via": "changed"})
        )
    )
    assert dict(moved.memberships[0].metadata) == {"via": "changed"}
    users.delete_membership_by_external_id(second, "grace")
    assert [m.organization_id for m in _user(users.get_user(made.id)).memberships] == [first]

    listed, _ = users.list_users(page_size=100)
    assert made.id in {u.id for u in listed.users}
    users.delete_user_by_external_id("grace")
    with pytest.raises(ScalekitNotFoundException):
        users.get_user_by_external_id("grace")


def test_list_organization_users_pages_through_every_member(
    scalekit_client: ScalekitClient,
) -> None:
    users = scalekit_client.users
    org_id = _org(scalekit_client, "Paged members")
    emails = {f"paged{i}@example.com" for i in range(5)}
    for email in emails:
        users.create_user_and_membership(org_id, CreateUser(email=email), False)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page, _ = users.list_organization_users(org_id, page_size=2, page_token=token)
        assert len(page.users) <= 2
        seen += [u.email for u in page.users]
        assert all(u.memberships[0].organization_id == org_id for u in page.users)
        pages += 1
        if not page.next_page_token:
            break
        token = page.next_page_token
    assert pages == 3
    assert page.total_size == 5
    assert sorted(seen) == sorted(emails)
    assert all(u.create_time.seconds > 0 for u in page.users)  # the user's own fields too


def test_search_users_environment_wide_and_among_an_organizations_members(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    """The Node SDK's searchUsers and searchOrganizationUsers (the Python SDK has no method
    for them: the RPCs are called as it calls the others)."""
    users = scalekit_client.users
    org_id, elsewhere = _org(scalekit_client, "Searched"), _org(scalekit_client, "Not searched")
    inside = _user(users.create_user_and_membership(org_id, CreateUser(email="zq-in@example.com")))
    outside = _user(
        users.create_user_and_membership(elsewhere, CreateUser(email="zq-out@example.com"))
    )
    search = scalekit_client.core_client.grpc_exec
    found = answer(
        search(users.user_service.SearchUsers.with_call, SearchUsersRequest(query="zq-"))
    )
    assert {u.id for u in found.users} == {inside.id, outside.id}
    among = answer(
        search(
            users.user_service.SearchOrganizationUsers.with_call,
            SearchOrganizationUsersRequest(organization_id=org_id, query="zq-"),
        )
    )
    assert [u.id for u in among.users] == [inside.id]
    assert among.users[0].memberships[0].organization_id == org_id
    restricted = made_client(server, "--organization", org_id)
    with pytest.raises(ScalekitForbiddenException):
        restricted.core_client.grpc_exec(
            restricted.users.user_service.SearchUsers.with_call, SearchUsersRequest(query="zq-")
        )


def test_refusals_carry_their_status_error_code_and_field(
    scalekit_client: ScalekitClient,
) -> None:
    users = scalekit_client.users
    org_id = _org(scalekit_client, "Refusals")
    made = _user(users.create_user_and_membership(org_id, CreateUser(email="lin@example.com")))

    with pytest.raises(ScalekitConflictException) as twice:
        users.create_user_and_membership(org_id, CreateUser(email="lin@example.com"))
    assert twice.value.grpc_status == grpc.StatusCode.ALREADY_EXISTS
    assert twice.value.error_code == "already_member"
    with pytest.raises(ScalekitConflictException) as again:
        users.create_membership(org_id, made.id, CreateMembership())
    assert again.value.error_code == "already_member"

    with pytest.raises(ScalekitBadRequestException) as email:
        users.create_user_and_membership(org_id, CreateUser(email="not-an-email"))
    assert email.value.grpc_status == grpc.StatusCode.INVALID_ARGUMENT
    assert email.value.error_code == "invalid_field"
    assert email.value.message.startswith("user.email:")
    with pytest.raises(ScalekitBadRequestException) as role:
        users.update_membership(org_id, made.id, UpdateMembership(roles=[Role(name="Bad Role")]))
    assert role.value.message.startswith("membership.roles")
    with pytest.raises(ScalekitBadRequestException) as gender:
        users.update_user(made.id, UpdateUser(user_profile=UpdateUserProfile(gender="x")))
    assert gender.value.message.startswith("user.user_profile.gender:")
    with pytest.raises(ScalekitBadRequestException) as size:
        users.list_organization_users(org_id, page_size=500)
    assert "page_size" in size.value.message

    with pytest.raises(ScalekitNotFoundException) as unknown:
        users.get_user_by_external_id("no-such-user")
    assert unknown.value.error_code == "user_not_found"
    with pytest.raises(ScalekitNotFoundException) as no_org:
        users.list_organization_users("org_" + "0" * 26)
    assert no_org.value.error_code == "organization_not_found"
    other = _org(scalekit_client, "Not a member there")
    with pytest.raises(ScalekitNotFoundException) as not_member:
        users.update_membership(other, made.id, UpdateMembership(metadata={"note": "b"}))
    assert not_member.value.error_code == "membership_not_found"

    cascade = DeleteMembershipRequest(organization_id=org_id, id=made.id, cascade=True)
    with pytest.raises(ScalekitBadRequestException) as whole:
        scalekit_client.core_client.grpc_exec(
            users.user_service.DeleteMembership.with_call, cascade
        )
    assert whole.value.message.startswith("cascade:")
    assert _user(users.get_user(made.id)).memberships  # refused: still a member


@pytest.mark.usefixtures("roles")
def test_roles_are_assigned_and_removed_one_at_a_time(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    """AssignUserRoles / RemoveUserRole (the Python SDK has no method for them; the Node SDK
    calls them): each changes only the roles it names, and names its refusals."""
    users = scalekit_client.users
    org_id = _org(scalekit_client, "Role by role")
    made = _user(
        users.create_user_and_membership(
            org_id, CreateUser(email="rolly@example.com"), send_invitation_email=False
        )
    )
    service = users.user_service

    def assign(*names: str) -> list[str]:
        request = AssignUserRolesRequest(
            organization_id=org_id,
            user_id=made.id,
            roles=[AssignRoleRequest(role_name=n) for n in names],
        )
        reply = answer(
            scalekit_client.core_client.grpc_exec(service.AssignUserRoles.with_call, request)
        )
        return sorted(r.name for r in reply.roles)

    def remove(name: str) -> None:
        request = RemoveUserRoleRequest(organization_id=org_id, user_id=made.id, role_name=name)
        scalekit_client.core_client.grpc_exec(service.RemoveUserRole.with_call, request)

    before = sorted(r.name for r in _user(users.get_user(made.id)).memberships[0].roles)
    assert assign("editor") == sorted({*before, "editor"})
    assert assign("editor") == sorted({*before, "editor"})  # held already: answered as is
    remove("editor")
    now = sorted(r.name for r in _user(users.get_user(made.id)).memberships[0].roles)
    assert now == before
    history = _history(server, f"/api/v1/organizations/{org_id}/history")
    assert all(server.client_id in e["actor"] for e in history[-2:])  # the caller is the actor

    with pytest.raises(ScalekitNotFoundException) as not_held:
        remove("editor")
    assert not_held.value.error_code == "member_role_not_held"
    with pytest.raises(ScalekitBadRequestException) as undefined:
        assign("ghost")
    assert undefined.value.grpc_status == grpc.StatusCode.INVALID_ARGUMENT
    assert "ghost" in undefined.value.message
    (only,) = before
    with pytest.raises(ScalekitBadRequestException) as last:
        remove(only)
    assert last.value.grpc_status == grpc.StatusCode.FAILED_PRECONDITION
    assert last.value.error_code == "last_member_role"


def test_an_admission_beyond_the_seat_limit_is_refused_and_records_nothing(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    users = scalekit_client.users
    org_id = _org(scalekit_client, "Two seats")
    with server.client() as api:
        limit = api.patch(
            f"/api/v1/organizations/{org_id}/settings/usermanagement",
            json={"settings": {"max_allowed_users": 2}},
        )
        assert limit.status_code == 200, limit.text
    users.create_user_and_membership(org_id, CreateUser(email="one@example.com"))
    users.create_user_and_membership(org_id, CreateUser(email="two@example.com"), False)
    elsewhere = _org(scalekit_client, "Elsewhere")
    outsider = _user(
        users.create_user_and_membership(elsewhere, CreateUser(email="three@example.com"))
    )
    org_before = _history(server, f"/api/v1/organizations/{org_id}/history")
    user_before = _history(server, f"/api/v1/users/{outsider.id}/history")

    with pytest.raises(ScalekitBadRequestException) as full:
        users.create_user_and_membership(
            org_id, CreateUser(email="four@example.com", external_id="four")
        )
    assert full.value.grpc_status == grpc.StatusCode.FAILED_PRECONDITION
    assert full.value.error_code == "seat_limit_reached"
    assert "2 of 2 seats" in full.value.message
    with pytest.raises(ScalekitBadRequestException) as member:
        users.create_membership(org_id, outsider.id, CreateMembership(), False)
    assert member.value.error_code == "seat_limit_reached"

    assert _history(server, f"/api/v1/organizations/{org_id}/history") == org_before
    assert _history(server, f"/api/v1/users/{outsider.id}/history") == user_before
    with pytest.raises(ScalekitNotFoundException):
        users.get_user_by_external_id("four")
    with pytest.raises(ScalekitNotFoundException):
        users.get_user("four@example.com")
    page, _ = users.list_organization_users(org_id)
    assert page.total_size == 2


def test_a_client_without_the_scope_is_permission_denied(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    org_id = _org(scalekit_client, "Scoped")
    reader = made_client(server, "--scope", "members:read")
    assert answer(reader.users.list_organization_users(org_id)).total_size == 0
    with pytest.raises(ScalekitForbiddenException) as denied:
        reader.users.create_user_and_membership(org_id, CreateUser(email="no@example.com"))
    assert denied.value.grpc_status == grpc.StatusCode.PERMISSION_DENIED
    assert denied.value.error_code == "permission_denied"
    assert "members:write" in denied.value.message
    outsider = made_client(server, "--scope", "organizations:read")
    with pytest.raises(ScalekitForbiddenException) as none:
        outsider.users.list_organization_users(org_id)
    assert "members:read" in none.value.message


def test_a_client_restricted_to_organizations_reaches_users_only_through_them(
    server: Server, scalekit_client: ScalekitClient
) -> None:
    mine, other = _org(scalekit_client, "Mine"), _org(scalekit_client, "Theirs")
    theirs = _user(
        scalekit_client.users.create_user_and_membership(
            other, CreateUser(email="theirs@example.com")
        )
    )
    restricted = made_client(server, "--organization", mine)
    made = _user(
        restricted.users.create_user_and_membership(mine, CreateUser(email="ours@example.com"))
    )
    page, _ = restricted.users.list_organization_users(mine)
    assert [u.id for u in page.users] == [made.id]
    with pytest.raises(ScalekitNotFoundException) as hidden:
        restricted.users.list_organization_users(other)
    assert hidden.value.error_code == "organization_not_found"
    with pytest.raises(ScalekitNotFoundException):  # as if it did not exist
        restricted.users.create_membership(other, made.id, CreateMembership())
    with pytest.raises(ScalekitNotFoundException):
        restricted.users.delete_membership(other, theirs.id)
    with pytest.raises(ScalekitForbiddenException) as environment:
        restricted.users.get_user(theirs.id)
    assert environment.value.error_code == "permission_denied"
    with pytest.raises(ScalekitForbiddenException):
        restricted.users.delete_user(theirs.id)
    assert _user(scalekit_client.users.get_user(theirs.id)).memberships[0].organization_id == other
