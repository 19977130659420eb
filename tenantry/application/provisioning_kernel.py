"""What provisioning's users and groups share: the directory a SCIM request targets (live and
active, with its organization and roster), loading a SCIM resource of that directory, the
``If-Match`` check, the record a verb answers with, and the roles that the directory's
``mapping.group_roles`` gives a member for the groups it is in.

Group roles: a directory whose mapping has no ``group_roles`` leaves members' roles alone (the
organization's admins manage them). Otherwise a member's roles are the roles its groups map to
(``displayName`` compared case-insensitively), or the organization's default role when none of
its groups maps to any; they are set again whenever the member joins or leaves a mapped group,
a mapped group is renamed or deleted, or the member is provisioned again. Each change is
recorded on the membership and in the organization's history, as every role change is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar
from uuid import UUID

from tenantry.application.directories import Directories
from tenantry.application.provisioning_dto import ScimRecord
from tenantry.domain import ids
from tenantry.domain.base import Act
from tenantry.domain.directory import Directory
from tenantry.domain.directory_errors import DirectoryNotActive
from tenantry.domain.directory_group import DirectoryGroup
from tenantry.domain.directory_roster import DirectoryRoster
from tenantry.domain.directory_user import DirectoryUser
from tenantry.domain.errors import InvalidField
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization
from tenantry.domain.provisioning_errors import ScimResourceNotFound, ScimVersionMismatch
from tenantry.domain.role_scope import RoleScope
from tenantry.domain.scim_documents import ScimKind, ScimResource

R = TypeVar("R", bound=ScimResource)


def scim_kind(kind: ScimKind | str) -> ScimKind:
    try:
        return ScimKind(kind)
    except ValueError:
        raise InvalidField("kind", "must be User or Group") from None


def record_of(resource: DirectoryUser | DirectoryGroup) -> ScimRecord:
    document = dict(resource.state.document)
    if isinstance(resource, DirectoryGroup):
        members = resource.state.members
        document["members"] = [{"value": ids.encode(ids.DIRECTORY_USER, m)} for m in members]
    return ScimRecord(
        id=resource.public_id,
        kind=resource.KIND,
        document=document,
        created=resource.created_on,
        last_modified=resource.modified_on,
        version=resource.version,
    )


def check_version(resource: ScimResource, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != resource.version:
        raise ScimVersionMismatch(resource.public_id, expected_version, resource.version)


def expected(version: int | None) -> int | None:
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise InvalidField("expected_version", "must be a whole number")
    return version


class ProvisioningKernel(Directories):
    """The directory a SCIM request targets, its resources and its group roles."""

    def _target(
        self, directory_id: str, *, for_update: bool = True
    ) -> tuple[Directory, Organization, DirectoryRoster | None]:
        """The live, active directory, its organization and its roster (``None`` until the
        directory's first user or group); :class:`DirectoryNotActive` unless the directory is
        enabled and its organization's ``dir_sync`` feature is on."""
        directory = self._live_directory(directory_id, for_update=False)  # only read
        org = self._get(directory.state.organization_id, Organization, for_update=for_update)
        if org is None or org.is_deleted:
            raise DirectoryNotActive(directory_id)
        if not directory.is_active(self._dir_sync_on(org)):
            raise DirectoryNotActive(directory_id)
        roster_id = DirectoryRoster.create_id(directory.id)
        roster = self._get(roster_id, DirectoryRoster, for_update=for_update)
        return directory, org, roster

    def _organization_directories(self, org: Organization) -> list[UUID]:
        """The ids of the organization's live directories."""
        return list(self._listed(org.id).directories)

    def _roster_or_open(
        self, directory: Directory, roster: DirectoryRoster | None, act: Act
    ) -> DirectoryRoster:
        if roster is not None:
            return roster
        return DirectoryRoster.open(directory.id, directory.state.organization_id, act)

    def _directory_totals(self, directory: UUID) -> tuple[int, int]:
        """The directory's users and groups: ``(total_users, total_groups)``."""
        roster = self._get(DirectoryRoster.create_id(directory), DirectoryRoster, for_update=False)
        return (0, 0) if roster is None else (roster.total_users, roster.total_groups)

    def _resource(
        self,
        directory: Directory,
        cls: type[R],
        resource_id: str,
        *,
        for_update: bool = True,
    ) -> R:
        """The directory's live user or group ``resource_id``; :class:`ScimResourceNotFound`
        for a malformed id, another directory's, or a deleted one."""
        try:
            uid = ids.decode(cls.PREFIX, resource_id, "id")
        except InvalidField:
            raise ScimResourceNotFound(cls.KIND, str(resource_id)) from None
        resource = self._get(uid, cls, for_update=for_update)
        if resource is None or resource.state.directory_id != directory.id:
            raise ScimResourceNotFound(cls.KIND, resource_id)
        resource.check_exists()
        return resource

    def _open(
        self, directory_id: str, cls: type[R], resource_id: str, expected_version: int | None
    ) -> tuple[Directory, Organization, DirectoryRoster, R, Act]:
        """What a change of a user or group works on: its directory (live and active), the
        organization, the roster, the resource (at ``expected_version``, if given) and the
        act the change records (by the directory)."""
        directory, org, roster = self._target(directory_id)
        resource = self._resource(directory, cls, resource_id)
        check_version(resource, expected_version)
        act = Act(self.now(org, roster, resource), directory.actor)
        return directory, org, self._roster_or_open(directory, roster, act), resource, act

    # --- group roles ---------------------------------------------------------------------------

    def _role_table(self, directory: Directory) -> dict[str, str]:
        """The directory's group → role mapping, keyed by case-folded ``displayName``."""
        return {k.casefold(): v for k, v in directory.state.mapping.group_roles.items()}

    def _mapped_roles(
        self, table: dict[str, str], roster: DirectoryRoster, directory_user: UUID
    ) -> list[str]:
        groups = roster.state.groups
        names = (groups[g].display_name.casefold() for g in roster.groups_of(directory_user))
        return sorted({table[n] for n in names if n in table})

    def _after_mapping_change(
        self, org: Organization, directory: Directory, act: Act
    ) -> list[Membership]:
        """After the directory's mapping changed: every grouped user's roles from the new
        ``group_roles`` (none if it maps none); the memberships to save with ``org``."""
        roster = self._get(DirectoryRoster.create_id(directory.id), DirectoryRoster)
        if roster is None:
            return []
        return self._set_group_roles(org, directory, roster, list(roster.state.user_groups), act)

    def _set_group_roles(
        self,
        org: Organization,
        directory: Directory,
        roster: DirectoryRoster,
        directory_users: Iterable[UUID],
        act: Act,
        *,
        scope: RoleScope | None = None,
    ) -> list[Membership]:
        """Gives each of ``directory_users`` (that has a membership) the roles its groups map
        to now; returns the memberships that changed (to save with ``org``)."""
        table = self._role_table(directory)
        if not table:
            return []
        scope = scope or self._role_scope(org.id)
        changed: list[Membership] = []
        for du in directory_users:
            entry = roster.state.users.get(du)
            if entry is None:
                continue
            membership = self._get(ids.membership_uuid(org.id, entry.user_id), Membership)
            if membership is None or membership.state.status is None:
                continue
            if apply_roles(org, membership, self._mapped_roles(table, roster, du), scope, act):
                changed.append(membership)
        return changed


def apply_roles(
    org: Organization, membership: Membership, mapped: list[str], scope: RoleScope, act: Act
) -> bool:
    """Gives ``membership`` the ``mapped`` roles (the default role when there are none),
    recorded in the organization's history too; whether they changed."""
    roles = granted(scope, mapped) or [scope.default_role()]
    if roles == membership.state.roles:
        return False
    membership.change_roles(roles, act.now, act.actor, None)
    org.record_member_change(membership, act)
    return True


def granted(scope: RoleScope, mapped: list[str]) -> list[str]:
    """The roles ``mapped`` gives, as the organization has them now: a role deleted since the
    mapping named it reads as the role its holders were moved to; each must be defined, once
    roles are (:class:`UndefinedRole`)."""
    return scope.check(sorted({scope.replacement(r) for r in mapped}), "group_roles")
