"""A directory's SCIM groups: create, replace and delete, with their members (users of the same
directory, given as ``{"value": "dus_…"}``; an unknown one is refused naming it), and the
roles that the directory's ``mapping.group_roles`` gives members
(:mod:`tenantry.application.provisioning_kernel`): only the members who joined or left a mapped
group are looked at again, so a change of a few members of a large group costs a few reads and
records a few ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from tenantry.application.provisioning_dto import ScimKind, ScimRecord
from tenantry.application.provisioning_kernel import (
    ProvisioningKernel,
    record_of,
)
from tenantry.domain import ids, scim_documents
from tenantry.domain.base import Act
from tenantry.domain.directory import Directory
from tenantry.domain.directory_group import DirectoryGroup, member_ids
from tenantry.domain.directory_roster import DirectoryRoster, RosterGroup
from tenantry.domain.errors import InvalidField


def member_values(document: Mapping[str, Any]) -> list[str]:
    """The ``value`` of each of a group document's ``members`` (checked for shape only)."""
    if not isinstance(document, Mapping):
        raise InvalidField("document", "must be a JSON object")
    members = document.get("members")
    if members is None:
        return []
    if not isinstance(members, list):
        raise InvalidField("members", "must be a list of {value: id} objects")
    out = []
    for i, member in enumerate(members):
        value = member.get("value") if isinstance(member, Mapping) else None
        if not isinstance(value, str):
            raise InvalidField(f"members[{i}].value", "must be the id of a user")
        kind = member.get("type")
        if kind is not None and (not isinstance(kind, str) or kind.casefold() != "user"):
            raise InvalidField(f"members[{i}].type", "must be User (groups do not nest)")
        out.append(value)
    return out


def _members(roster: DirectoryRoster | None, values: list[str]) -> list[UUID]:
    """The ids of the directory's users that ``values`` name; an unknown one is refused."""
    known = {} if roster is None else roster.state.users
    out = []
    for i, value in enumerate(values):
        try:
            uid = ids.decode(ids.DIRECTORY_USER, value, f"members[{i}].value")
        except InvalidField:
            uid = None
        if uid is None or uid not in known:
            raise InvalidField(f"members[{i}].value", f"{value!r} is not a user of this directory")
        out.append(uid)
    return member_ids(out)


class ScimGroups(ProvisioningKernel):
    """A directory's groups (see the module's docstring)."""

    def _create_group(self, directory_id: str, document: Mapping[str, Any]) -> ScimRecord:
        given = member_values(document)
        doc = scim_documents.document(document, ScimKind.GROUP)

        def run() -> ScimRecord:
            directory, org, roster = self._target(directory_id)
            members = _members(roster, given)
            act = Act(self.now(org, roster), directory.actor)
            roster = self._roster_or_open(directory, roster, act)
            group = DirectoryGroup.create(self._new_id(), directory.id, org.id, doc, members, act)
            roster.list_group(group.id, _entry(group), act)
            roster.change_group_members(group.id, members, [], act)
            mapped = self._is_mapped(directory, group.display_name)
            changed = self._set_group_roles(org, directory, roster, members if mapped else [], act)
            self._save(org, roster, group, *changed)
            return record_of(group)

        return self.run_command(run)

    def _replace_group(
        self,
        directory_id: str,
        resource_id: str,
        document: Mapping[str, Any],
        expected_version: int | None,
    ) -> ScimRecord:
        given = member_values(document)
        doc = scim_documents.document(document, ScimKind.GROUP)

        def run() -> ScimRecord:
            directory, org, roster, group, act = self._open(
                directory_id, DirectoryGroup, resource_id, expected_version
            )
            members = _members(roster, given)
            was_mapped = self._is_mapped(directory, group.display_name)
            renamed = group.display_name.casefold() != str(doc["displayName"]).casefold()
            joined, left = group.replace(doc, members, act)
            if not group.pending_events:
                return record_of(group)
            roster.update_group(group.id, _entry(group), act)
            roster.change_group_members(group.id, joined, left, act)
            mapped = self._is_mapped(directory, group.display_name)
            if renamed and (mapped or was_mapped):
                affected = [*group.state.members, *left]
            else:
                affected = [*joined, *left] if mapped else []
            changed = self._set_group_roles(org, directory, roster, affected, act)
            self._save(org, roster, group, *changed)
            return record_of(group)

        return self.run_command(run)

    def _delete_group(
        self, directory_id: str, resource_id: str, expected_version: int | None
    ) -> None:
        def run() -> None:
            directory, org, roster, group, act = self._open(
                directory_id, DirectoryGroup, resource_id, expected_version
            )
            group.delete(act)
            roster.unlist_group(group.id, act)
            mapped = self._is_mapped(directory, group.display_name)
            affected = group.state.members if mapped else []
            changed = self._set_group_roles(org, directory, roster, affected, act)
            self._save(org, roster, group, *changed)

        self.run_command(run)

    def _is_mapped(self, directory: Directory, display_name: str) -> bool:
        return display_name.casefold() in self._role_table(directory)


def _entry(group: DirectoryGroup) -> RosterGroup:
    return RosterGroup(display_name=group.display_name, external_id=group.external_id)
