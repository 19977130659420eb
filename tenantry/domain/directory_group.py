"""The DirectoryGroup aggregate: one SCIM group a directory pushed, as its document and its
members (ids of the directory's users, in the order they joined).

A change of members records only the difference (who joined, who left), so a group of thousands
changes by a few ids per event, and a replace that sends the same members records nothing about
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids, scim_documents
from tenantry.domain.base import Act, Aggregate, AggregateState
from tenantry.domain.errors import InvalidField
from tenantry.domain.scim_documents import MAX_GROUP_MEMBERS, ScimKind, ScimResource


class DirectoryGroupState(AggregateState):
    directory_id: UUID
    organization_id: UUID
    document: dict[str, Any]
    members: list[UUID] = []
    deleted: bool = False


def member_ids(members: Iterable[UUID]) -> list[UUID]:
    """``members`` without repeats, in order, within :data:`MAX_GROUP_MEMBERS`."""
    out = list(dict.fromkeys(members))
    if len(out) > MAX_GROUP_MEMBERS:
        raise InvalidField("members", f"must name at most {MAX_GROUP_MEMBERS} users")
    return out


class DirectoryGroup(ScimResource):
    """A directory's SCIM group (see the module's docstring)."""

    KIND = ScimKind.GROUP
    PREFIX = ids.DIRECTORY_GROUP
    State = DirectoryGroupState
    if TYPE_CHECKING:
        state: DirectoryGroupState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: DirectoryGroupState) -> None:
            pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
        directory_id: UUID
        organization_id: UUID
        document: dict[str, Any]
        members: list[UUID]

        def apply(self, aggregate: Any) -> None:
            aggregate.state = DirectoryGroupState(
                directory_id=self.directory_id,
                organization_id=self.organization_id,
                document=dict(self.document),
                members=list(self.members),
            )

    class DocumentReplaced(Event):
        document: dict[str, Any]

        def apply_to(self, s: DirectoryGroupState) -> None:
            s.document = dict(self.document)

    class MembersAdded(Event):
        members: list[UUID]

        def apply_to(self, s: DirectoryGroupState) -> None:
            s.members = [*s.members, *self.members]

    class MembersRemoved(Event):
        members: list[UUID]

        def apply_to(self, s: DirectoryGroupState) -> None:
            gone = set(self.members)
            s.members = [m for m in s.members if m not in gone]

    class Deleted(Event):
        def apply_to(self, s: DirectoryGroupState) -> None:
            s.deleted = True

    @classmethod
    def create(
        cls,
        directory_group_id: UUID,
        directory_id: UUID,
        organization_id: UUID,
        document: Mapping[str, Any],
        members: Iterable[UUID],
        act: Act,
    ) -> DirectoryGroup:
        return cls._create(
            cls.Created,
            id=directory_group_id,
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            directory_id=directory_id,
            organization_id=organization_id,
            document=scim_documents.document(document, ScimKind.GROUP),
            members=member_ids(members),
        )

    @property
    def display_name(self) -> str:
        return str(self.state.document["displayName"])

    def replace(
        self, document: Mapping[str, Any], members: Iterable[UUID], act: Act
    ) -> tuple[list[UUID], list[UUID]]:
        """Takes the directory's new document and members; records what changed (nothing if
        nothing did) and returns the members who joined and those who left."""
        self.check_exists()
        doc = scim_documents.document(document, ScimKind.GROUP)
        wanted = member_ids(members)
        if doc != self.state.document:
            self._record(self.DocumentReplaced, act, document=doc)
        return self.change_members(wanted, act)

    def change_members(self, members: list[UUID], act: Act) -> tuple[list[UUID], list[UUID]]:
        """Makes ``members`` (checked by :func:`member_ids`) the group's members, recording who
        left and who joined; returns (joined, left)."""
        current = set(self.state.members)
        wanted = set(members)
        left = [m for m in self.state.members if m not in wanted]
        joined = [m for m in members if m not in current]
        if left:
            self._record(self.MembersRemoved, act, members=left)
        if joined:
            self._record(self.MembersAdded, act, members=joined)
        return joined, left

    def remove_member(self, member: UUID, act: Act) -> bool:
        """Removes one member (a deleted user); whether it was one."""
        if self.state.deleted or member not in self.state.members:
            return False
        self._record(self.MembersRemoved, act, members=[member])
        return True

    def delete(self, act: Act) -> None:
        self.check_exists()
        self._record(self.Deleted, act)
