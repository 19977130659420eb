"""Provisioning through a SCIM directory: the verbs the SCIM endpoint calls, and what a SCIM user
does to the directory's organization. Groups are in :mod:`provisioning_groups`.

A SCIM user is a person (a tenantry user, found by the e-mail the directory's mapping reads from
the document: :func:`email_of`) and that person's membership of the directory's organization.
Every verb first checks the directory is live and active; every event records the directory as
its actor (``directory:dir_…``); a refusal records nothing.

- **Create** of an active user admits the person: a tenantry user is registered if new, and an
  ACTIVE membership is recorded with ``provisioning_method: dir_sync`` (the seat rule holds:
  :class:`SeatLimitReached`), the organization's default role, the mapped metadata, and the
  mapped given and family names on the user — all in one transaction with the DirectoryUser and
  the roster. If the person has a membership already, the directory takes it over: an ACTIVE
  one is linked as it is (its provisioning method and roles unchanged), a pending invitation
  is accepted (it held a seat), an INACTIVE one is reactivated (seat rule); an expired, revoked
  or removed one is admitted again. A membership that a user of another live directory of the
  organization (or another user of this one) stands for is refused:
  :class:`ScimUniquenessConflict` on ``email``; so is a ``userName`` the directory has already
  (case-insensitively). Create of an inactive user (``"active": false``) admits no one; an
  ACTIVE membership it finds is deactivated.
- **Replace** records the new document (the same document again records nothing). When
  ``active`` changes, the membership follows: to ``false`` an ACTIVE membership is deactivated
  (seat freed); to ``true`` an INACTIVE one is reactivated (seat rule), a removed one admitted
  again, a pending invitation accepted. Between such changes an admin's own changes of the
  membership stand. When the e-mail changes, the link moves to the new person in the same
  transaction: the old membership is removed (the user stays) and the new person is admitted
  as by a create (roles from the user's groups). The mapped metadata and names follow every
  replace.
- **Delete** removes the membership (whatever its status; the tenantry user stays), takes the
  user out of its groups and the roster.
- ``expected_version`` (``If-Match``) that is not the resource's version:
  :class:`ScimVersionMismatch`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from tenantry.application.kernel import command
from tenantry.application.provisioning_dto import ScimKind, ScimRecord
from tenantry.application.provisioning_groups import ScimGroups
from tenantry.application.provisioning_kernel import (
    apply_roles,
    expected,
    granted,
    record_of,
    scim_kind,
)
from tenantry.application.provisioning_lists import DirectoryListings
from tenantry.domain import admission, arguments, ids, scim_documents, values
from tenantry.domain.base import Act, Aggregate
from tenantry.domain.directory import Directory
from tenantry.domain.directory_group import DirectoryGroup
from tenantry.domain.directory_roster import DirectoryRoster, RosterUser
from tenantry.domain.directory_user import DirectoryUser
from tenantry.domain.directory_values import email_of, source_value
from tenantry.domain.errors import InvalidField
from tenantry.domain.membership import Membership, Newcomer
from tenantry.domain.organization import Organization
from tenantry.domain.provisioning_errors import ScimResourceNotFound, ScimUniquenessConflict
from tenantry.domain.user import User
from tenantry.domain.user_values import user_profile
from tenantry.domain.values import MembershipStatus, ProvisioningMethod

FIND_ATTRIBUTES = {
    ScimKind.USER: ("userName", "externalId"),
    ScimKind.GROUP: ("displayName", "externalId"),
}


class DirectoryProvisioning(ScimGroups, DirectoryListings):
    """The SCIM verbs of a directory (see the module's docstring)."""

    # --- the verbs -----------------------------------------------------------------------------

    @command
    def scim_create(
        self, directory_id: str, kind: ScimKind | str, document: Mapping[str, Any]
    ) -> ScimRecord:
        if scim_kind(kind) is ScimKind.GROUP:
            return self._create_group(directory_id, document)
        return self._create_user(directory_id, document)

    def scim_get(self, directory_id: str, kind: ScimKind | str, resource_id: str) -> ScimRecord:
        cls = _class_of(scim_kind(kind))
        rid = arguments.text(resource_id, "resource_id")
        directory, _, _ = self._target(directory_id, for_update=False)
        return record_of(self._resource(directory, cls, rid, for_update=False))

    @command
    def scim_replace(
        self,
        directory_id: str,
        kind: ScimKind | str,
        resource_id: str,
        document: Mapping[str, Any],
        *,
        expected_version: int | None = None,
    ) -> ScimRecord:
        resource_kind, rid = scim_kind(kind), arguments.text(resource_id, "resource_id")
        version = expected(expected_version)
        if resource_kind is ScimKind.GROUP:
            return self._replace_group(directory_id, rid, document, version)
        return self._replace_user(directory_id, rid, document, version)

    @command
    def scim_delete(
        self,
        directory_id: str,
        kind: ScimKind | str,
        resource_id: str,
        *,
        expected_version: int | None = None,
    ) -> None:
        resource_kind, rid = scim_kind(kind), arguments.text(resource_id, "resource_id")
        version = expected(expected_version)
        if resource_kind is ScimKind.GROUP:
            self._delete_group(directory_id, rid, version)
        else:
            self._delete_user(directory_id, rid, version)

    def scim_ids(self, directory_id: str, kind: ScimKind | str) -> list[str]:
        """The ids of the directory's users or groups, in the order they were created."""
        resource_kind = scim_kind(kind)
        _, _, roster = self._target(directory_id, for_update=False)
        if roster is None:
            return []
        if resource_kind is ScimKind.USER:
            return [ids.encode(ids.DIRECTORY_USER, u) for u in roster.state.users]
        return [ids.encode(ids.DIRECTORY_GROUP, g) for g in roster.state.groups]

    def scim_get_many(
        self, directory_id: str, kind: ScimKind | str, ids: Sequence[str]
    ) -> list[ScimRecord]:
        """The records of ``ids`` that exist, in the order given (the design's name shadows
        the ``ids`` module here, which this method does not use)."""
        cls = _class_of(scim_kind(kind))
        if isinstance(ids, str) or not isinstance(ids, Sequence):
            raise InvalidField("ids", "must be a list of ids")
        wanted = [arguments.text(i, "ids") for i in ids]
        directory, _, _ = self._target(directory_id, for_update=False)
        out = []
        for rid in wanted:
            try:
                out.append(record_of(self._resource(directory, cls, rid, for_update=False)))
            except ScimResourceNotFound:
                continue  # deleted since its id was read: left out
        return out

    def scim_find(
        self, directory_id: str, kind: ScimKind | str, attribute: str, value: str
    ) -> list[ScimRecord]:
        """The directory's users with ``userName`` (case-insensitive) or ``externalId`` equal to
        ``value``, or its groups with ``displayName`` (case-insensitive) or ``externalId``."""
        resource_kind = scim_kind(kind)
        if attribute not in FIND_ATTRIBUTES[resource_kind]:
            known = " or ".join(FIND_ATTRIBUTES[resource_kind])
            raise InvalidField("attribute", f"must be {known}")
        value = arguments.text(value, "value")
        _, _, roster = self._target(directory_id, for_update=False)
        if roster is None:
            return []
        found = _lookup(roster, resource_kind, attribute, value)
        cls = _class_of(resource_kind)
        return [
            record_of(r)
            for r in (self._get(uid, cls, for_update=False) for uid in found)
            if r is not None and not r.state.deleted
        ]

    # --- users ---------------------------------------------------------------------------------

    def _create_user(self, directory_id: str, document: Mapping[str, Any]) -> ScimRecord:
        doc = scim_documents.document(document, ScimKind.USER)

        def run() -> ScimRecord:
            directory, org, roster = self._target(directory_id)
            email = values.email(email_of(doc, directory.state.mapping), "userName")
            act = Act(self.now(org, roster), directory.actor)
            roster = self._roster_or_open(directory, roster, act)
            du = DirectoryUser.create(self._new_id(), directory.id, org.id, doc, email, act)
            roster.list_user(du.id, _entry(du), act)
            changed = self._link(org, directory, roster, du, act)
            self._save(org, roster, du, *changed)
            return record_of(du)

        return self.run_command(run)

    def _replace_user(
        self,
        directory_id: str,
        resource_id: str,
        document: Mapping[str, Any],
        expected_version: int | None,
    ) -> ScimRecord:
        doc = scim_documents.document(document, ScimKind.USER)

        def run() -> ScimRecord:
            directory, org, roster, du, act = self._open(
                directory_id, DirectoryUser, resource_id, expected_version
            )
            email = values.email(email_of(doc, directory.state.mapping), "userName")
            if doc == du.state.document and email == du.state.email:
                return record_of(du)
            was_active, old_person = du.active, du.state.user_id
            du.replace(doc, email, act)
            roster.update_user(du.id, _entry(du), act)
            changed: list[Aggregate | None] = []
            if du.state.user_id != old_person:
                old = self._get(ids.membership_uuid(org.id, old_person), Membership)
                if old is not None and old.state.status is not None:
                    admission.remove(org, old, act)
                    changed.append(old)
                changed += self._link(org, directory, roster, du, act)
            else:
                changed += self._follow(org, directory, roster, du, was_active, act)
            self._save(org, roster, du, *changed)
            return record_of(du)

        return self.run_command(run)

    def _delete_user(
        self, directory_id: str, resource_id: str, expected_version: int | None
    ) -> None:
        def run() -> None:
            _, org, roster, du, act = self._open(
                directory_id, DirectoryUser, resource_id, expected_version
            )
            groups = [self._get(g, DirectoryGroup) for g in roster.groups_of(du.id)]
            for group in groups:
                if group is not None:
                    group.remove_member(du.id, act)
            membership = self._find_membership(ids.membership_uuid(org.id, du.state.user_id))
            if membership is not None and membership.state.status is not None:
                admission.remove(org, membership, act)
            du.delete(act)
            roster.unlist_user(du.id, act)
            self._save(org, roster, du, membership, *groups)

        self.run_command(run)

    def _link(
        self,
        org: Organization,
        directory: Directory,
        roster: DirectoryRoster,
        du: DirectoryUser,
        act: Act,
    ) -> list[Aggregate | None]:
        """Makes the person ``du`` names a member as a create does (see the module's
        docstring); returns the aggregates to save."""
        user_id = du.state.user_id
        membership = self._find_membership(ids.membership_uuid(org.id, user_id))
        status = None if membership is None else membership.status_at(act.now)
        if status is not None and self._linked_elsewhere(org, directory, user_id):
            raise ScimUniquenessConflict("email", du.state.email)
        if not du.active:
            if membership is not None and status is MembershipStatus.ACTIVE:
                admission.deactivate(org, membership, act)
            return [membership]
        return self._activate(org, directory, roster, du, membership, act)

    def _follow(
        self,
        org: Organization,
        directory: Directory,
        roster: DirectoryRoster,
        du: DirectoryUser,
        was_active: bool,
        act: Act,
    ) -> list[Aggregate | None]:
        """The membership after a replace that names the same person: it follows a change of
        ``active``, and takes the mapped metadata and names."""
        membership = self._find_membership(ids.membership_uuid(org.id, du.state.user_id))
        if du.active and not was_active:
            return self._activate(org, directory, roster, du, membership, act)
        status = None if membership is None else membership.status_at(act.now)
        if was_active and not du.active and status is MembershipStatus.ACTIVE:
            assert membership is not None
            admission.deactivate(org, membership, act)
        if membership is not None and membership.state.status is not None:
            _sync_metadata(org, membership, du, directory, act)
        return [membership, self._update_names(du, directory, None, act)]

    def _activate(
        self,
        org: Organization,
        directory: Directory,
        roster: DirectoryRoster,
        du: DirectoryUser,
        membership: Membership | None,
        act: Act,
    ) -> list[Aggregate | None]:
        """Makes the person ``du`` names an ACTIVE member (accepting, reactivating or
        admitting), with the mapped metadata, names and group roles."""
        status = None if membership is None else membership.status_at(act.now)
        scope = self._role_scope(org.id)
        table = self._role_table(directory)
        mapped = self._mapped_roles(table, roster, du.id) if table else []
        user: User | None = None
        if status is MembershipStatus.PENDING_INVITE and membership is not None:
            admission.accept(org, membership, act)
        elif status is MembershipStatus.INACTIVE and membership is not None:
            admission.reactivate(org, membership, act)
        elif status is not MembershipStatus.ACTIVE:
            email, user_id = du.state.email, du.state.user_id
            user = self._ensure_user(
                user_id, email, act.now, act.actor, registered=membership is not None
            )
            roles = granted(scope, mapped) or [scope.default_role()]
            newcomer = Newcomer(user_id, email, roles, _metadata(du, directory))
            method = ProvisioningMethod.DIR_SYNC.value
            membership = admission.add(org, membership, newcomer, method, act)
            return [membership, self._update_names(du, directory, user, act)]
        assert membership is not None
        _sync_metadata(org, membership, du, directory, act)
        if mapped:  # a member linked as it is keeps its roles unless its groups map to some
            apply_roles(org, membership, mapped, scope, act)
        return [membership, self._update_names(du, directory, None, act)]

    def _linked_elsewhere(self, org: Organization, directory: Directory, user_id: UUID) -> bool:
        """Whether a user of another live directory of the organization stands for the person."""
        for other in self._organization_directories(org):
            if other == directory.id:
                continue
            roster = self._get(DirectoryRoster.create_id(other), DirectoryRoster, for_update=False)
            if roster is not None and roster.user_of_person(user_id) is not None:
                return True
        return False

    def _update_names(
        self, du: DirectoryUser, directory: Directory, user: User | None, act: Act
    ) -> User | None:
        """The mapped given and family names on the person (a new ``user``, or the stored
        one); the user to save if they changed. A name the profile's rules refuse is left."""
        mapping = directory.state.mapping
        names = {"given_name": mapping.given_name, "family_name": mapping.family_name}
        given = {
            field: value
            for field, source in names.items()
            if source and (value := source_value(du.state.document, source))
        }
        if not given:
            return user
        try:
            profile = user_profile(given).model_dump(exclude_none=True)
        except InvalidField:
            return user
        person = user or self._get(du.state.user_id, User)
        if person is None or person.is_deleted:
            return user
        updated = person.state.user_profile.model_copy(update=profile)
        if updated == person.state.user_profile:
            return user
        person.change_profile(updated, act)
        return person


def _entry(du: DirectoryUser) -> RosterUser:
    return RosterUser(
        user_name=du.user_name,
        external_id=du.external_id,
        user_id=du.state.user_id,
        email=du.state.email,
    )


def _metadata(du: DirectoryUser, directory: Directory) -> dict[str, str]:
    """The membership metadata the directory's mapping reads from the user's document."""
    sources = directory.state.mapping.metadata
    found = {k: source_value(du.state.document, src) for k, src in sources.items()}
    return values.metadata({k: v for k, v in found.items() if v}, "membership.metadata")


def _sync_metadata(
    org: Organization, membership: Membership, du: DirectoryUser, directory: Directory, act: Act
) -> None:
    """The mapped metadata replace the membership's, when the directory maps any."""
    if not directory.state.mapping.metadata:
        return
    md = _metadata(du, directory)
    if md != membership.state.metadata:
        membership.change_metadata(md, act.now, act.actor, None)
        org.record_member_change(membership, act)


def _class_of(kind: ScimKind) -> type[DirectoryUser] | type[DirectoryGroup]:
    return DirectoryUser if kind is ScimKind.USER else DirectoryGroup


def _lookup(roster: DirectoryRoster, kind: ScimKind, attribute: str, value: str) -> list[UUID]:
    if kind is ScimKind.USER:
        if attribute == "userName":
            found = roster.user_by_name(value)
            return [] if found is None else [found]
        return roster.users_by_external_id(value)
    if attribute == "displayName":
        return roster.groups_by_name(value)
    return roster.groups_by_external_id(value)
