"""``scalekit.v1.roles.RolesService``: the environment's roles and each organization's (create,
get, list, update, delete with reassignment of their holders, remove the role they extend, list
the roles extending one), the default role of new members, and the permissions roles grant, on
the application the REST API serves, with its scopes (``roles:read``, ``roles:write``) and its
per-client organization restrictions (such a client cannot change the environment's roles).

Methods left UNIMPLEMENTED, naming themselves: ``GetRoleUsersCount`` and
``GetOrganizationRoleUsersCount`` (no read model counts a role's holders), and
``CreatePermission``, ``UpdatePermission``, ``DeletePermission`` (a tenantry permission is a
string a role grants, not an entity with a description and a life of its own)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from google.protobuf import empty_pb2
from scalekit.v1.roles import roles_pb2 as pb

from tenantry.adapters.grpc import role_messages as rm
from tenantry.adapters.grpc.calls import Caller, unchanged_ok
from tenantry.adapters.grpc.service import Work
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField, NotFound, PermissionDenied

SERVICE: Final = pb.DESCRIPTOR.services_by_name["RolesService"]
PAGE_SIZE_MAX: Final = 100
READ, WRITE = "roles:read", "roles:write"


class EnvironmentRolesRestricted(PermissionDenied):
    """Raised when a client restricted to some organizations asks to change the environment's
    roles, which every organization sees."""

    def __init__(self) -> None:
        super().__init__(
            "this API client is restricted to its organizations; it cannot change the "
            "environment's roles"
        )


class PermissionNotGranted(NotFound):
    """Raised when a permission asked for is granted by no role (or not by the role named)."""

    code = "permission_not_found"

    def __init__(self, name: str, where: str) -> None:
        super().__init__(f"permission {name!r} is not granted by {where}")
        self.name = name


class Roles:
    """The service's handlers over one application."""

    service = SERVICE

    def __init__(self, t: Tenantry) -> None:
        self.t = t

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        return {
            "CreateRole": (WRITE, self.create),
            "GetRole": (READ, self.get),
            "ListRoles": (READ, self.list),
            "UpdateRole": (WRITE, self.update),
            "DeleteRole": (WRITE, self.delete),
            "DeleteRoleBase": (WRITE, self.delete_base),
            "ListDependentRoles": (READ, self.dependents),
            "UpdateDefaultRoles": (WRITE, self.set_defaults),
            "CreateOrganizationRole": (WRITE, self.create_in),
            "GetOrganizationRole": (READ, self.get_in),
            "ListOrganizationRoles": (READ, self.list_in),
            "UpdateOrganizationRole": (WRITE, self.update_in),
            "DeleteOrganizationRole": (WRITE, self.delete_in),
            "DeleteOrganizationRoleBase": (WRITE, self.delete_base_in),
            "UpdateDefaultOrganizationRoles": (WRITE, self.set_default_in),
            **Permissions(self.t).handlers(),
        }

    # --- environment roles ---------------------------------------------------------------------

    def _role(self, name: str) -> pb.Role:
        return rm.role(self.t.get_role(name), rm.dependents_of(name, self.t.list_roles()))

    def create(self, request: pb.CreateRoleRequest, caller: Caller) -> pb.CreateRoleResponse:
        environment_writer(caller)
        name, fields = rm.new_role(request.role)
        self.t.create_role(name, **fields, actor=caller.actor)
        return pb.CreateRoleResponse(role=self._role(name))

    def get(self, request: pb.GetRoleRequest, caller: Caller) -> pb.GetRoleResponse:
        return pb.GetRoleResponse(role=self._role(rm.role_name(request.role_name)))

    def list(self, request: pb.ListRolesRequest, caller: Caller) -> pb.ListRolesResponse:
        return pb.ListRolesResponse(roles=rm.roles(self.t.list_roles()))

    def update(self, request: pb.UpdateRoleRequest, caller: Caller) -> pb.UpdateRoleResponse:
        environment_writer(caller)
        name = rm.role_name(request.role_name)
        changes = rm.role_changes(request.role)
        unchanged_ok(
            lambda: self.t.update_role(name, **changes, actor=caller.actor),
            lambda: self.t.get_role(name),
        )
        return pb.UpdateRoleResponse(role=self._role(name))

    def delete(self, request: pb.DeleteRoleRequest, caller: Caller) -> empty_pb2.Empty:
        environment_writer(caller)
        name = rm.role_name(request.role_name)
        target = self._reassign_to(request, self.t.list_roles())
        self.t.delete_role(name, reassign_to=target, actor=caller.actor)
        return empty_pb2.Empty()

    def delete_base(self, request: pb.DeleteRoleBaseRequest, caller: Caller) -> empty_pb2.Empty:
        environment_writer(caller)
        name = rm.role_name(request.role_name)
        unchanged_ok(
            lambda: self.t.update_role(name, extends=None, actor=caller.actor),
            lambda: self.t.get_role(name),
        )
        return empty_pb2.Empty()

    def dependents(
        self, request: pb.ListDependentRolesRequest, caller: Caller
    ) -> pb.ListDependentRolesResponse:
        name = rm.role_name(request.role_name)
        self.t.get_role(name)  # RoleNotFound
        scope = self.t.list_roles()
        return pb.ListDependentRolesResponse(
            roles=[r for r in rm.roles(scope) if r.HasField("extends") and r.extends == name]
        )

    def set_defaults(
        self, request: pb.UpdateDefaultRolesRequest, caller: Caller
    ) -> pb.UpdateDefaultRolesResponse:
        environment_writer(caller)
        member = _given_role(request, "default_member")
        creator = _given_role(request, "default_creator")
        if member is None:
            raise InvalidField("default_member_role", "give the role new members get")
        if creator is not None and rm.role_name(creator, "default_creator_role") != rm.CREATOR_ROLE:
            raise InvalidField(
                "default_creator_role",
                f"an organization's founder is always given {rm.CREATOR_ROLE!r} in tenantry; "
                f"got {creator!r}",
            )
        name = rm.role_name(member, "default_member_role")
        unchanged_ok(
            lambda: self.t.set_default_role(name, actor=caller.actor), self.t.get_default_role
        )
        answer = pb.UpdateDefaultRolesResponse(default_member=self._role(name))
        if creator is not None:
            answer.default_creator.CopyFrom(self._role(rm.CREATOR_ROLE))
        return answer

    # --- organization roles --------------------------------------------------------------------

    def _org_role(self, org_id: str, name: str) -> pb.Role:
        found = self.t.get_organization_role(org_id, name)
        return rm.role(found, rm.dependents_of(name, self.t.list_organization_roles(org_id)))

    def create_in(
        self, request: pb.CreateOrganizationRoleRequest, caller: Caller
    ) -> pb.CreateOrganizationRoleResponse:
        org_id = caller.organization(request.org_id)
        name, fields = rm.new_role(request.role)
        self.t.create_organization_role(org_id, name, **fields, actor=caller.actor)
        return pb.CreateOrganizationRoleResponse(role=self._org_role(org_id, name))

    def get_in(
        self, request: pb.GetOrganizationRoleRequest, caller: Caller
    ) -> pb.GetOrganizationRoleResponse:
        org_id = caller.organization(request.org_id)
        name = rm.role_name(request.role_name)
        return pb.GetOrganizationRoleResponse(role=self._org_role(org_id, name))

    def list_in(
        self, request: pb.ListOrganizationRolesRequest, caller: Caller
    ) -> pb.ListOrganizationRolesResponse:
        org_id = caller.organization(request.org_id)
        return pb.ListOrganizationRolesResponse(
            roles=rm.roles(self.t.list_organization_roles(org_id))
        )

    def update_in(
        self, request: pb.UpdateOrganizationRoleRequest, caller: Caller
    ) -> pb.UpdateOrganizationRoleResponse:
        org_id = caller.organization(request.org_id)
        name = rm.role_name(request.role_name)
        changes = rm.role_changes(request.role)
        unchanged_ok(
            lambda: self.t.update_organization_role(org_id, name, **changes, actor=caller.actor),
            lambda: self.t.get_organization_role(org_id, name),
        )
        return pb.UpdateOrganizationRoleResponse(role=self._org_role(org_id, name))

    def delete_in(
        self, request: pb.DeleteOrganizationRoleRequest, caller: Caller
    ) -> empty_pb2.Empty:
        org_id = caller.organization(request.org_id)
        name = rm.role_name(request.role_name)
        target = self._reassign_to(request, [])
        self.t.delete_organization_role(org_id, name, reassign_to=target, actor=caller.actor)
        return empty_pb2.Empty()

    def delete_base_in(
        self, request: pb.DeleteOrganizationRoleBaseRequest, caller: Caller
    ) -> empty_pb2.Empty:
        org_id = caller.organization(request.org_id)
        name = rm.role_name(request.role_name)
        unchanged_ok(
            lambda: self.t.update_organization_role(org_id, name, extends=None, actor=caller.actor),
            lambda: self.t.get_organization_role(org_id, name),
        )
        return empty_pb2.Empty()

    def set_default_in(
        self, request: pb.UpdateDefaultOrganizationRolesRequest, caller: Caller
    ) -> pb.UpdateDefaultOrganizationRolesResponse:
        org_id = caller.organization(request.org_id)
        name = rm.role_name(request.default_member_role, "default_member_role")
        role = unchanged_ok(
            lambda: self.t.set_default_role(name, organization_id=org_id, actor=caller.actor),
            lambda: self.t.get_default_role(org_id),
        )
        return pb.UpdateDefaultOrganizationRolesResponse(default_member=rm.role(role))

    # --- shared steps --------------------------------------------------------------------------

    @staticmethod
    def _reassign_to(
        request: pb.DeleteRoleRequest | pb.DeleteOrganizationRoleRequest,
        scope: Sequence[dto.Role],
    ) -> str:
        """The role the deleted role's holders get: by name, or (environment roles) by id."""
        if request.HasField("reassign_role_name"):
            return rm.role_name(request.reassign_role_name, "reassign_role_name")
        if isinstance(request, pb.DeleteRoleRequest) and request.HasField("reassign_role_id"):
            for r in scope:
                if r.id == request.reassign_role_id:
                    return r.name
            raise InvalidField("reassign_role_id", "no role of the environment has this id")
        raise InvalidField(
            "reassign_role_name",
            "give the role that the deleted role's holders get instead (tenantry moves them)",
        )


def environment_writer(caller: Caller) -> None:
    """Refuses a client restricted to some organizations (the REST API's rule)."""
    if caller.grant.organizations is not None:
        raise EnvironmentRolesRestricted()


def _given_role(request: pb.UpdateDefaultRolesRequest, which: str) -> str | None:
    """``<which>_role``, else ``<which>.name``: the role a default is set to, if given."""
    if request.HasField(f"{which}_role"):
        value: str = getattr(request, f"{which}_role")
        return value
    if not request.HasField(which):
        return None
    nested: pb.UpdateDefaultRole = getattr(request, which)
    if not nested.HasField("name"):
        raise InvalidField(f"{which}.name", "give the role by name")
    return nested.name


class Permissions:
    """The permissions the environment's roles grant: listed and looked up from the roles, and
    given to or taken from one role."""

    def __init__(self, t: Tenantry) -> None:
        self.t = t

    def handlers(self) -> Mapping[str, tuple[str, Work]]:
        return {
            "ListPermissions": (READ, self.list),
            "GetPermission": (READ, self.get),
            "ListRolePermissions": (READ, self.of_role),
            "ListEffectiveRolePermissions": (READ, self.effective),
            "AddPermissionsToRole": (WRITE, self.add),
            "RemovePermissionFromRole": (WRITE, self.remove),
        }

    def _granted(self) -> Sequence[str]:
        return sorted({p for r in self.t.list_roles() for p in r.permissions})

    def list(
        self, request: pb.ListPermissionsRequest, caller: Caller
    ) -> pb.ListPermissionsResponse:
        """Pages by name: a page token is the last name of the page before."""
        size = request.page_size if request.HasField("page_size") else PAGE_SIZE_MAX
        if not 1 <= size <= PAGE_SIZE_MAX:
            raise InvalidField("page_size", f"must be 1-{PAGE_SIZE_MAX}")
        names = [] if request.type == pb.PermissionType.SCALEKIT else self._granted()
        after = request.page_token if request.HasField("page_token") else ""
        rest = [n for n in names if n > after]
        page = rest[:size]
        return pb.ListPermissionsResponse(
            permissions=rm.permissions(page),
            next_page_token=page[-1] if len(rest) > size else "",
            prev_page_token=after,
            total_size=len(names),
        )

    def get(self, request: pb.GetPermissionRequest, caller: Caller) -> pb.GetPermissionResponse:
        name = rm.permission_names([request.permission_name], "permission_name")[0]
        if name not in self._granted():
            raise PermissionNotGranted(name, "any role of the environment")
        return pb.GetPermissionResponse(permission=rm.permission(name))

    def of_role(
        self, request: pb.ListRolePermissionsRequest, caller: Caller
    ) -> pb.ListRolePermissionsResponse:
        role = self.t.get_role(rm.role_name(request.role_name))
        return pb.ListRolePermissionsResponse(permissions=rm.permissions(role.permissions))

    def effective(
        self, request: pb.ListEffectiveRolePermissionsRequest, caller: Caller
    ) -> pb.ListEffectiveRolePermissionsResponse:
        """The role's permissions and those of every role it extends, transitively."""
        role = self.t.get_role(rm.role_name(request.role_name))
        return pb.ListEffectiveRolePermissionsResponse(
            permissions=rm.permissions(role.effective_permissions)
        )

    def add(
        self, request: pb.AddPermissionsToRoleRequest, caller: Caller
    ) -> pb.AddPermissionsToRoleResponse:
        environment_writer(caller)
        name = rm.role_name(request.role_name)
        added = rm.permission_names(request.permission_names, "permission_names")
        if not added:
            raise InvalidField("permission_names", "give at least one permission")
        role = unchanged_ok(
            lambda: self.t.change_role_permissions(name, add=added, actor=caller.actor),
            lambda: self.t.get_role(name),
        )
        return pb.AddPermissionsToRoleResponse(permissions=rm.permissions(role.permissions))

    def remove(
        self, request: pb.RemovePermissionFromRoleRequest, caller: Caller
    ) -> empty_pb2.Empty:
        environment_writer(caller)
        name = rm.role_name(request.role_name)
        removed = rm.permission_names([request.permission_name], "permission_name")[0]
        held = self.t.get_role(name).permissions
        if removed not in held:
            raise PermissionNotGranted(removed, f"role {name!r}")
        # (removed meanwhile by another call: nothing left to change)
        unchanged_ok(
            lambda: self.t.change_role_permissions(name, remove=[removed], actor=caller.actor),
            lambda: self.t.get_role(name),
        )
        return empty_pb2.Empty()
