"""The DirectoryRoster aggregate: a directory's SCIM users and groups in the order they were
created, with the indexes SCIM clients look them up by, and which groups each user is in.

It is saved with every create, rename and delete of a user or a group and every change of a
group's members, so lookups, listings and counts are consistent reads from the event store on
every backend, and two creates of one ``userName`` race on it: one commits, the other is retried
and refused (:class:`ScimUniquenessConflict`). Indexes: ``userName`` case-insensitively (unique
in the directory), the person a user names (one SCIM user per person in a directory),
``externalId`` exactly, and a group's ``displayName`` case-insensitively.

Events replace the containers they change (never change them in place), as every aggregate's;
the containers are :class:`~tenantry.domain.persistent.PersistentMap`, so that replacing one
costs about the square root of its size instead of a copy of it: an event's cost stays nearly
flat as the directory grows. They are stored as JSON objects, as the dicts they replaced were.

It also keeps when each user and group last changed (their ``update_time``), so a listing of
what changed after a time reads the roster, not every resource: the application records every
change of a resource on the roster (:meth:`DirectoryRoster.update_user`,
:meth:`~DirectoryRoster.update_group`) in the command that changes it, at the command's time.
A roster stored before it kept these times starts keeping them with the first event it records
now (:class:`DirectoryRoster.ChangeTimesKept`); the entries it knew before have no time until
they change (:meth:`~DirectoryRoster.user_changed_at` answers ``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self, TypeVar
from uuid import UUID, uuid5

from eventsourcing.domain import CanInitAggregate
from pydantic import BaseModel, ConfigDict

from tenantry.domain import ids
from tenantry.domain.base import Act, Aggregate, AggregateState, Timestamp
from tenantry.domain.persistent import PersistentMap
from tenantry.domain.provisioning_errors import ScimUniquenessConflict

K = TypeVar("K")

SNAPSHOT_SPACING = 4
"""Snapshots of a large roster are at least a quarter of its entries apart (in events)."""


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def of(cls, event: BaseModel) -> Self:
        """The entry an event records (its fields of the entry's names)."""
        return cls.model_validate(event.model_dump(include=set(cls.model_fields)))


class RosterUser(_Entry):
    user_name: str
    external_id: str | None
    user_id: UUID
    email: str


class RosterGroup(_Entry):
    display_name: str
    external_id: str | None


class DirectoryRosterState(AggregateState):
    directory_id: UUID
    organization_id: UUID
    users: PersistentMap[UUID, RosterUser] = PersistentMap()
    groups: PersistentMap[UUID, RosterGroup] = PersistentMap()
    user_names: PersistentMap[str, UUID] = PersistentMap()
    people: PersistentMap[UUID, UUID] = PersistentMap()
    """A tenantry user's id -> the directory user that names them."""
    user_external_ids: PersistentMap[str, list[UUID]] = PersistentMap()
    group_names: PersistentMap[str, list[UUID]] = PersistentMap()
    group_external_ids: PersistentMap[str, list[UUID]] = PersistentMap()
    user_groups: PersistentMap[UUID, list[UUID]] = PersistentMap()
    """A directory user -> the groups it is in (in the order it joined them)."""
    change_times_kept: bool = False
    """Whether the roster records every change of its entries (not before the first event it
    recorded with this field; a snapshot from before has none)."""
    user_changes: PersistentMap[UUID, Timestamp] = PersistentMap()
    """A directory user -> when it last changed (only changes while ``change_times_kept``)."""
    group_changes: PersistentMap[UUID, Timestamp] = PersistentMap()
    """A directory group -> when it last changed (its document or its members)."""


def _key(name: str) -> str:
    return name.casefold()


Index = PersistentMap[K, list[UUID]]
Times = PersistentMap[UUID, datetime]
LastChange = Callable[[UUID], datetime]
"""When a resource last changed, read from the resource (for a roster stored before it kept
change times)."""


def _without(index: Index[K], key: K | None, item: UUID) -> Index[K]:
    """``index`` with ``item`` out of ``key``'s list (and ``key`` out once its list is empty)."""
    if key is None or key not in index:
        return index
    rest = [i for i in index[key] if i != item]
    return index.set(key, rest) if rest else index.delete(key)


def _popped(index: PersistentMap[K, UUID], key: K, item: UUID) -> PersistentMap[K, UUID]:
    return index.delete(key) if index.get(key) == item else index


def _with(index: Index[K], key: K | None, item: UUID) -> Index[K]:
    """``index`` with ``item`` last in ``key``'s list."""
    if key is None:
        return index
    return index.set(key, [*index.get(key, []), item])


class DirectoryRoster(Aggregate):
    """A directory's users and groups (see the module's docstring)."""

    State = DirectoryRosterState
    if TYPE_CHECKING:
        state: DirectoryRosterState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: DirectoryRosterState) -> None:
            pass

    class Opened(Event, CanInitAggregate[UUID]):
        originator_topic: str
        directory_id: UUID
        organization_id: UUID

        def apply(self, aggregate: Any) -> None:
            aggregate.state = DirectoryRosterState(
                directory_id=self.directory_id, organization_id=self.organization_id
            )

    class UserEntryEvent(Event):
        """An event that records a user's entry (base of the two below)."""

        directory_user_id: UUID
        user_name: str
        external_id: str | None
        user_id: UUID
        email: str

        def apply_to(self, s: DirectoryRosterState) -> None:
            _put_user(s, self.directory_user_id, RosterUser.of(self))
            s.user_changes = _stamped(s, s.user_changes, self.directory_user_id, self.timestamp)

    class UserListed(UserEntryEvent):
        pass

    class UserReindexed(UserEntryEvent):
        """A user's ``userName``, ``externalId`` or person changed."""

    class UserChanged(Event):
        """A user's document changed, its entry did not."""

        directory_user_id: UUID

        def apply_to(self, s: DirectoryRosterState) -> None:
            s.user_changes = _stamped(s, s.user_changes, self.directory_user_id, self.timestamp)

    class UserUnlisted(Event):
        """A deleted user; its groups lose it (which changes them)."""

        directory_user_id: UUID

        def apply_to(self, s: DirectoryRosterState) -> None:
            uid = self.directory_user_id
            for g in s.user_groups.get(uid, []):
                s.group_changes = _stamped(s, s.group_changes, g, self.timestamp)
            _unindex_user(s, uid)
            s.users = s.users.delete(uid)
            s.user_groups = s.user_groups.delete(uid)
            s.user_changes = s.user_changes.delete(uid)

    class GroupEntryEvent(Event):
        """An event that records a group's entry (base of the two below)."""

        directory_group_id: UUID
        display_name: str
        external_id: str | None

        def apply_to(self, s: DirectoryRosterState) -> None:
            _put_group(s, self.directory_group_id, RosterGroup.of(self))
            s.group_changes = _stamped(s, s.group_changes, self.directory_group_id, self.timestamp)

    class GroupListed(GroupEntryEvent):
        pass

    class GroupReindexed(GroupEntryEvent):
        """A group's ``displayName`` or ``externalId`` changed."""

    class GroupChanged(Event):
        """A group's document changed, its entry did not."""

        directory_group_id: UUID

        def apply_to(self, s: DirectoryRosterState) -> None:
            s.group_changes = _stamped(s, s.group_changes, self.directory_group_id, self.timestamp)

    class GroupUnlisted(Event):
        """A deleted group; its members leave it."""

        directory_group_id: UUID

        def apply_to(self, s: DirectoryRosterState) -> None:
            gid = self.directory_group_id
            _unindex_group(s, gid)
            s.groups = s.groups.delete(gid)
            s.group_changes = s.group_changes.delete(gid)
            for u in [u for u, gs in s.user_groups.items() if gid in gs]:
                s.user_groups = _without(s.user_groups, u, gid)

    class GroupMembersChanged(Event):
        directory_group_id: UUID
        joined: list[UUID]
        left: list[UUID]

        def apply_to(self, s: DirectoryRosterState) -> None:
            gid = self.directory_group_id
            user_groups = s.user_groups
            for u in self.left:
                user_groups = _without(user_groups, u, gid)
            for u in self.joined:
                user_groups = _with(user_groups, u, gid)
            s.user_groups = user_groups
            s.group_changes = _stamped(s, s.group_changes, gid, self.timestamp)

    class ChangeTimesKept(Event):
        """From here on the roster records every change of its users and groups."""

        def apply_to(self, s: DirectoryRosterState) -> None:
            s.change_times_kept = True

    def snapshot_due(self, version: int, interval: int) -> bool:
        """Every ``interval`` events while the roster is small; once a quarter of its entries
        is more than that, every ``interval`` x 2^k events, the first such multiple that is at
        least a quarter of them. A snapshot costs in proportion to the entries, so its share of
        each event's cost stays flat as the directory grows, and a load from the latest snapshot
        replays at most that many events (each a small change)."""
        step = interval
        while step * SNAPSHOT_SPACING < self.total_users + self.total_groups:
            step *= 2
        return version % step == 0

    @staticmethod
    def create_id(directory_id: UUID) -> UUID:
        return uuid5(ids.NS_DIRECTORY_ROSTER, directory_id.hex)

    @classmethod
    def open(cls, directory_id: UUID, organization_id: UUID, act: Act) -> DirectoryRoster:
        return cls._create(
            cls.Opened,
            id=cls.create_id(directory_id),
            timestamp=act.now,
            actor=act.actor,
            directory_id=directory_id,
            organization_id=organization_id,
        )

    # --- queries -------------------------------------------------------------------------------

    @property
    def total_users(self) -> int:
        return len(self.state.users)

    @property
    def total_groups(self) -> int:
        return len(self.state.groups)

    def user_by_name(self, user_name: str) -> UUID | None:
        return self.state.user_names.get(_key(user_name))

    def users_by_external_id(self, external_id: str) -> list[UUID]:
        return list(self.state.user_external_ids.get(external_id, []))

    def groups_by_name(self, display_name: str) -> list[UUID]:
        return list(self.state.group_names.get(_key(display_name), []))

    def groups_by_external_id(self, external_id: str) -> list[UUID]:
        return list(self.state.group_external_ids.get(external_id, []))

    def user_of_person(self, user_id: UUID) -> UUID | None:
        """The directory user that names the tenantry user ``user_id``, if any."""
        return self.state.people.get(user_id)

    def groups_of(self, directory_user_id: UUID) -> list[UUID]:
        return list(self.state.user_groups.get(directory_user_id, []))

    def user_changed_at(self, directory_user_id: UUID) -> datetime | None:
        """When the user last changed; ``None`` if it has not changed since the roster began
        keeping change times (a roster stored before them; see the module's docstring)."""
        return self.state.user_changes.get(directory_user_id)

    def group_changed_at(self, directory_group_id: UUID) -> datetime | None:
        """When the group last changed (``None`` as in :meth:`user_changed_at`)."""
        return self.state.group_changes.get(directory_group_id)

    def users_changed_after(self, since: datetime, unknown: LastChange) -> list[UUID]:
        """The users whose last change is strictly after ``since``, in the order they were
        created; ``unknown`` tells when a user the roster has no time for last changed."""
        return _after(self.state.users, self.state.user_changes, since, unknown)

    def groups_changed_after(self, since: datetime, unknown: LastChange) -> list[UUID]:
        """The groups whose last change is strictly after ``since`` (as
        :meth:`users_changed_after`)."""
        return _after(self.state.groups, self.state.group_changes, since, unknown)

    # --- commands ------------------------------------------------------------------------------

    def list_user(self, directory_user_id: UUID, entry: RosterUser, act: Act) -> None:
        """Lists a new user; refuses a ``userName`` or a person another user holds."""
        self._check_unique(directory_user_id, entry)
        self._record(self.UserListed, act, directory_user_id=directory_user_id, **entry.__dict__)

    def update_user(self, directory_user_id: UUID, entry: RosterUser, act: Act) -> None:
        """Records a change of a user: its new identifiers if they changed (refused like
        :meth:`list_user`), else only that it changed."""
        if self.state.users.get(directory_user_id) == entry:
            self._record(self.UserChanged, act, directory_user_id=directory_user_id)
            return
        self._check_unique(directory_user_id, entry)
        self._record(self.UserReindexed, act, directory_user_id=directory_user_id, **entry.__dict__)

    def unlist_user(self, directory_user_id: UUID, act: Act) -> None:
        if directory_user_id in self.state.users:
            self._record(self.UserUnlisted, act, directory_user_id=directory_user_id)

    def list_group(self, directory_group_id: UUID, entry: RosterGroup, act: Act) -> None:
        self._record(self.GroupListed, act, directory_group_id=directory_group_id, **entry.__dict__)

    def update_group(self, directory_group_id: UUID, entry: RosterGroup, act: Act) -> None:
        """Records a change of a group: its new identifiers if they changed, else only that it
        changed (a change of its members alone is :meth:`change_group_members`)."""
        if self.state.groups.get(directory_group_id) != entry:
            self._record(
                self.GroupReindexed, act, directory_group_id=directory_group_id, **entry.__dict__
            )
        else:
            self._record(self.GroupChanged, act, directory_group_id=directory_group_id)

    def unlist_group(self, directory_group_id: UUID, act: Act) -> None:
        if directory_group_id in self.state.groups:
            self._record(self.GroupUnlisted, act, directory_group_id=directory_group_id)

    def change_group_members(
        self, directory_group_id: UUID, joined: Iterable[UUID], left: Iterable[UUID], act: Act
    ) -> None:
        joined, left = list(joined), list(left)
        if joined or left:
            self._record(
                self.GroupMembersChanged,
                act,
                directory_group_id=directory_group_id,
                joined=joined,
                left=left,
            )

    def _record(self, event_class: type[Any], act: Act, **kwargs: Any) -> None:
        if not self.state.change_times_kept:
            super()._record(self.ChangeTimesKept, act)
        super()._record(event_class, act, **kwargs)

    def _check_unique(self, directory_user_id: UUID, entry: RosterUser) -> None:
        holder = self.state.user_names.get(_key(entry.user_name))
        if holder is not None and holder != directory_user_id:
            raise ScimUniquenessConflict("userName", entry.user_name)
        holder = self.state.people.get(entry.user_id)
        if holder is not None and holder != directory_user_id:
            raise ScimUniquenessConflict("email", entry.email)


def _after(
    entries: PersistentMap[UUID, Any], times: Times, since: datetime, unknown: LastChange
) -> list[UUID]:
    out = []
    for item in entries:
        at = times.get(item)
        if (unknown(item) if at is None else at) > since:
            out.append(item)
    return out


def _stamped(s: DirectoryRosterState, times: Times, item: UUID, at: datetime) -> Times:
    """``times`` with ``item`` changed ``at``, once the roster keeps change times."""
    return times.set(item, at) if s.change_times_kept else times


def _put_user(s: DirectoryRosterState, uid: UUID, entry: RosterUser) -> None:
    _unindex_user(s, uid)
    s.users = s.users.set(uid, entry)
    s.user_names = s.user_names.set(_key(entry.user_name), uid)
    s.people = s.people.set(entry.user_id, uid)
    s.user_external_ids = _with(s.user_external_ids, entry.external_id, uid)


def _unindex_user(s: DirectoryRosterState, uid: UUID) -> None:
    old = s.users.get(uid)
    if old is None:
        return
    s.user_names = _popped(s.user_names, _key(old.user_name), uid)
    s.people = _popped(s.people, old.user_id, uid)
    s.user_external_ids = _without(s.user_external_ids, old.external_id, uid)


def _put_group(s: DirectoryRosterState, gid: UUID, entry: RosterGroup) -> None:
    _unindex_group(s, gid)
    s.groups = s.groups.set(gid, entry)
    s.group_names = _with(s.group_names, _key(entry.display_name), gid)
    s.group_external_ids = _with(s.group_external_ids, entry.external_id, gid)


def _unindex_group(s: DirectoryRosterState, gid: UUID) -> None:
    old = s.groups.get(gid)
    if old is None:
        return
    s.group_names = _without(s.group_names, _key(old.display_name), gid)
    s.group_external_ids = _without(s.group_external_ids, old.external_id, gid)
