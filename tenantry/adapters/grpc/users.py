"""``scalekit.v1.users.UserService``: the calls the hosted SDKs make for users and memberships —
get, list, search, update and delete a user (by id or external id); create a user and their
membership; create, update and delete a membership (the user by id or external id); list an
organization's users (paged); resend an invitation; a member's roles and permissions, roles
assigned or removed one at a time — on the
application the REST API serves, with its scopes (``members:read``, ``members:write``) and its
per-client organization restrictions: a restricted client reaches users only through its
organizations (the environment-wide user calls are refused, as ``/api/v1/users`` is).

Admissions go through the application's seat rule: beyond the organization's seat limit they
are refused FAILED_PRECONDITION ``seat_limit_reached`` and record nothing. The service's other
methods answer UNIMPLEMENTED, naming the method."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from google.protobuf import empty_pb2
from scalekit.v1.commons.commons_pb2 import OrganizationMembership
from scalekit.v1.users import users_pb2 as pb

from tenantry.adapters.field_names import fields_as_sent
from tenantry.adapters.grpc import user_messages as um
from tenantry.adapters.grpc.calls import Caller, unchanged_ok
from tenantry.adapters.grpc.organizations import READ_TIMEOUT
from tenantry.adapters.grpc.service import Work
from tenantry.adapters.projections.read_options import ReadOptions
from tenantry.adapters.projections.store import ProjectionStore
from tenantry.application import dto
from tenantry.application.app import UNSET, Tenantry
from tenantry.domain.errors import InvalidField, PermissionDenied, UserNotFound
from tenantry.projections.user_pages import UserPage

SERVICE: Final = pb.DESCRIPTOR.services_by_name["UserService"]

_CREATE_USER: Final = {
    "email": "user.email",
    "external_id": "user.external_id",
    "metadata": "user.metadata",
    "user_profile": "user.user_profile",
    "membership": "user.membership",
    "roles": "user.membership.roles",
    "inviter_email": "user.membership.inviter_email",
}
"""Where a ``CreateUserAndMembershipRequest`` carries the fields the application names."""
_MEMBERSHIP: Final = {"roles": "membership.roles", "inviter_email": "membership.inviter_email"}
_UPDATE_USER: Final = {
    "external_id": "user.external_id",
    "metadata": "user.metadata",
    "user_profile": "user.user_profile",
}


class UsersRestricted(PermissionDenied):
    """Raised when a client restricted to some organizations makes an environment-wide user
    call (it reaches users through its organizations' calls)."""

    code = "permission_denied"

    def __init__(self) -> None:
        super().__init__(
            "this API client is restricted to its organizations; it cannot make "
            "environment-wide user calls"
        )


class CascadeNotSupported(InvalidField):
    """Raised when a membership deletion asks to delete the user with it."""

    def __init__(self) -> None:
        super().__init__("cascade", "tenantry keeps the user; delete it with DeleteUser")


class Users:
    """The service's handlers over one application and its read models."""

    service = SERVICE

    def __init__(self, t: Tenantry, views: ProjectionStore) -> None:
        self.t, self.views = t, views

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        return {
            "GetUser": ("members:read", self.get_user),
            "ListUsers": ("members:read", self.list_users),
            "SearchUsers": ("members:read", self.search_users),
            "SearchOrganizationUsers": ("members:read", self.search_organization_users),
            "UpdateUser": ("members:write", self.update_user),
            "DeleteUser": ("members:write", self.delete_user),
            "CreateUserAndMembership": ("members:write", self.create_user_and_membership),
            "CreateMembership": ("members:write", self.create_membership),
            "UpdateMembership": ("members:write", self.update_membership),
            "DeleteMembership": ("members:write", self.delete_membership),
            "ListOrganizationUsers": ("members:read", self.list_organization_users),
            "ResendInvite": ("members:write", self.resend_invite),
            "ListUserRoles": ("members:read", self.list_user_roles),
            "ListUserPermissions": ("members:read", self.list_user_permissions),
            "AssignUserRoles": ("members:write", self.assign_user_roles),
            "RemoveUserRole": ("members:write", self.remove_user_role),
        }

    # --- shared steps --------------------------------------------------------------------------

    def _read(self) -> ReadOptions:
        """Read your writes: a list includes every write acknowledged before it."""
        return ReadOptions(min_position=self.views.head(), timeout=READ_TIMEOUT)

    @staticmethod
    def _environment_wide(caller: Caller) -> None:
        if caller.grant.organizations is not None:
            raise UsersRestricted()

    def _user(self, request: Any) -> dto.User:
        which, value = um.user_identity(request)
        if which == "id":
            return self.t.get_user(value)
        return self.t.get_user_by_external_id(value)

    def _users(self, users: Iterable[dto.User], caller: Caller) -> list[pb.User]:
        """``users`` with the memberships the caller may see (read from the read models), each
        organization's name read once."""
        read = self._read()
        names: dict[str, str] = {}
        out = []
        for u in users:
            seen = [
                m
                for m in self.views.list_user_memberships(u.id, **read)
                if caller.grant.sees(m.organization_id)
            ]
            out.append(um.user(u, self._memberships(seen, names)))
        return out

    def _memberships(
        self, memberships: list[dto.Membership], names: dict[str, str]
    ) -> list[OrganizationMembership]:
        out = []
        for m in self.t.with_role_details(memberships):
            if m.organization_id not in names:
                names[m.organization_id] = self.t.get_organization(m.organization_id).display_name
            out.append(um.membership(m, names[m.organization_id]))
        return out

    def _with_membership(self, m: dto.Membership) -> pb.User:
        """The member, with the membership just written (the application's, not a read
        model's)."""
        return um.user(self.t.get_user(m.user_id), self._memberships([m], {}))

    def _member_id(self, request: Any) -> str:
        """The ``usr_`` id of the user a membership request names (by id or external id)."""
        which, value = um.user_identity(request)
        if which == "id":
            return value
        return self.t.get_user_by_external_id(value).id

    # --- users ---------------------------------------------------------------------------------

    def get_user(self, request: pb.GetUserRequest, caller: Caller) -> pb.GetUserResponse:
        self._environment_wide(caller)
        return pb.GetUserResponse(user=self._users([self._user(request)], caller)[0])

    def _page(self, page: UserPage, caller: Caller) -> dict[str, Any]:
        return {
            "users": self._users(page.users, caller),
            "next_page_token": page.next_page_token,
            "prev_page_token": page.prev_page_token,
            "total_size": page.total_size,
        }

    def list_users(self, request: pb.ListUsersRequest, caller: Caller) -> pb.ListUsersResponse:
        self._environment_wide(caller)
        page = self.views.list_users(
            page_size=request.page_size or None,
            page_token=request.page_token or None,
            **self._read(),
        )
        return pb.ListUsersResponse(**self._page(page, caller))

    def search_users(
        self, request: pb.SearchUsersRequest, caller: Caller
    ) -> pb.SearchUsersResponse:
        self._environment_wide(caller)
        page = self.views.search_users(
            request.query,
            page_size=request.page_size or None,
            page_token=request.page_token or None,
            **self._read(),
        )
        return pb.SearchUsersResponse(**self._page(page, caller))

    def search_organization_users(
        self, request: pb.SearchOrganizationUsersRequest, caller: Caller
    ) -> pb.SearchOrganizationUsersResponse:
        page = self.views.search_users(
            request.query,
            organization_id=caller.organization(request.organization_id),
            page_size=request.page_size or None,
            page_token=request.page_token or None,
            **self._read(),
        )
        return pb.SearchOrganizationUsersResponse(**self._page(page, caller))

    def update_user(self, request: pb.UpdateUserRequest, caller: Caller) -> pb.UpdateUserResponse:
        self._environment_wide(caller)
        given = request.user
        fields: dict[str, Any] = {}
        if given.HasField("external_id"):
            fields["external_id"] = given.external_id
        if given.metadata:
            fields["metadata"] = dict(given.metadata)
        with fields_as_sent(_UPDATE_USER):
            if given.HasField("user_profile"):
                fields["user_profile"] = um.profile_changes(given.user_profile)
            user_id = self._user(request).id
            updated = unchanged_ok(
                lambda: self.t.update_user(user_id, **fields, actor=caller.actor),
                lambda: self.t.get_user(user_id),
            )
        return pb.UpdateUserResponse(user=self._users([updated], caller)[0])

    def delete_user(self, request: pb.DeleteUserRequest, caller: Caller) -> empty_pb2.Empty:
        self._environment_wide(caller)
        self.t.delete_user(self._user(request).id, actor=caller.actor)
        return empty_pb2.Empty()

    # --- memberships ---------------------------------------------------------------------------

    def create_user_and_membership(
        self, request: pb.CreateUserAndMembershipRequest, caller: Caller
    ) -> pb.CreateUserAndMembershipResponse:
        organization_id = caller.organization(request.organization_id)
        given = request.user
        with fields_as_sent(_CREATE_USER):
            made = self.t.create_user_and_membership(
                organization_id,
                given.email,
                external_id=given.external_id if given.HasField("external_id") else None,
                metadata=dict(given.metadata) or None,
                user_profile=um.new_profile(given.user_profile)
                if given.HasField("user_profile")
                else None,
                membership=um.membership_terms(given.membership)
                if given.HasField("membership")
                else None,
                send_invitation=_send_invitation(request),
                actor=caller.actor,
            )
        member = um.user(made.user, self._memberships([made.membership], {}))
        return pb.CreateUserAndMembershipResponse(user=member)

    def create_membership(
        self, request: pb.CreateMembershipRequest, caller: Caller
    ) -> pb.CreateMembershipResponse:
        organization_id = caller.organization(request.organization_id)
        email = self.t.get_user(self._member_id(request)).email
        with fields_as_sent(_MEMBERSHIP):
            terms = um.membership_terms(request.membership)
            if _send_invitation(request):
                made = self.t.invite_member(organization_id, email, **terms, actor=caller.actor)
            else:
                if "inviter_email" in terms:
                    raise InvalidField("membership.inviter_email", "only applies to invitations")
                made = self.t.add_member(organization_id, email, **terms, actor=caller.actor)
        return pb.CreateMembershipResponse(user=self._with_membership(made))

    def update_membership(
        self, request: pb.UpdateMembershipRequest, caller: Caller
    ) -> pb.UpdateMembershipResponse:
        organization_id = caller.organization(request.organization_id)
        user_id = self._member_id(request)
        given = request.membership
        fields: dict[str, Any] = {}
        roles = um.role_names(given.roles, "membership.roles")
        if roles is not None:
            fields["roles"] = roles
        if given.metadata:
            fields["metadata"] = dict(given.metadata)
        with fields_as_sent(_MEMBERSHIP):
            updated = unchanged_ok(
                lambda: self.t.update_membership(
                    organization_id,
                    user_id,
                    roles=fields.get("roles", UNSET),
                    metadata=fields.get("metadata", UNSET),
                    actor=caller.actor,
                ),
                lambda: self.t.get_membership(organization_id, user_id),
            )
        return pb.UpdateMembershipResponse(user=self._with_membership(updated))

    def delete_membership(
        self, request: pb.DeleteMembershipRequest, caller: Caller
    ) -> empty_pb2.Empty:
        organization_id = caller.organization(request.organization_id)
        if request.cascade:
            raise CascadeNotSupported()
        self.t.remove_member(organization_id, self._member_id(request), actor=caller.actor)
        return empty_pb2.Empty()

    def list_organization_users(
        self, request: pb.ListOrganizationUsersRequest, caller: Caller
    ) -> pb.ListOrganizationUsersResponse:
        organization_id = caller.organization(request.organization_id)
        page = self.views.list_members(
            organization_id,
            page_size=request.page_size or None,
            page_token=request.page_token or None,
            **self._read(),
        )
        names = {organization_id: self.t.get_organization(organization_id).display_name}
        shown = self._memberships(list(page.members), names)
        users = [self._member(m, s) for m, s in zip(page.members, shown, strict=True)]
        return pb.ListOrganizationUsersResponse(
            users=users,
            next_page_token=page.next_page_token,
            prev_page_token=page.prev_page_token,
            total_size=page.total_size,
        )

    def _member(self, m: dto.Membership, shown: OrganizationMembership) -> pb.User:
        """A listed member with the user's own fields; one deleted since the page was read
        shows only what the membership knows."""
        try:
            return um.user(self.t.get_user(m.user_id), [shown])
        except UserNotFound:
            return pb.User(id=m.user_id, email=m.email, memberships=[shown])

    def resend_invite(
        self, request: pb.ResendInviteRequest, caller: Caller
    ) -> pb.ResendInviteResponse:
        organization_id = caller.organization(request.organization_id)
        if not request.id:
            raise InvalidField("id", "give the invited user's id")
        sent = self.t.resend_invite(organization_id, request.id, actor=caller.actor)
        return pb.ResendInviteResponse(invite=um.invite(sent))

    # --- a member's roles ----------------------------------------------------------------------

    def list_user_roles(
        self, request: pb.ListUserRolesRequest, caller: Caller
    ) -> pb.ListUserRolesResponse:
        organization_id = caller.organization(request.organization_id)
        roles = self.t.list_user_roles(organization_id, _user_id(request))
        return pb.ListUserRolesResponse(roles=[um.role(r) for r in roles])

    def list_user_permissions(
        self, request: pb.ListUserPermissionsRequest, caller: Caller
    ) -> pb.ListUserPermissionsResponse:
        organization_id = caller.organization(request.organization_id)
        found = self.t.list_user_permissions(organization_id, _user_id(request))
        return pb.ListUserPermissionsResponse(permissions=[pb.Permission(name=p) for p in found])

    def assign_user_roles(
        self, request: pb.AssignUserRolesRequest, caller: Caller
    ) -> pb.AssignUserRolesResponse:
        """Gives the member the roles (by name) beside those held; answers every role held."""
        organization_id = caller.organization(request.organization_id)
        user_id = _user_id(request)
        names = []
        for role in request.roles:
            if not role.role_name:
                raise InvalidField("roles.role_name", "give each role's name (not its id)")
            names.append(role.role_name)
        unchanged_ok(
            lambda: self.t.assign_member_roles(organization_id, user_id, names, actor=caller.actor),
            lambda: self.t.get_membership(organization_id, user_id),
        )
        roles = self.t.list_user_roles(organization_id, user_id)
        return pb.AssignUserRolesResponse(roles=[um.role(r) for r in roles])

    def remove_user_role(
        self, request: pb.RemoveUserRoleRequest, caller: Caller
    ) -> empty_pb2.Empty:
        organization_id = caller.organization(request.organization_id)
        self.t.remove_member_role(
            organization_id, _user_id(request), request.role_name, actor=caller.actor
        )
        return empty_pb2.Empty()


def _send_invitation(request: Any) -> bool:
    """``send_invitation_email``; not given: true (an invitation), as the hosted API does."""
    return (
        bool(request.send_invitation_email) if request.HasField("send_invitation_email") else True
    )


def _user_id(request: Any) -> str:
    if not request.user_id:
        raise InvalidField("user_id", "must not be empty")
    value: str = request.user_id
    return value
