"""The DirectoryUser, DirectoryGroup and DirectoryRoster aggregates: given events, when a command,
then events — each history replays to the live state, and a refused command records nothing.
Their topics are a golden list: stored histories depend on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from tenantry.domain import directory_group, directory_roster, directory_user, ids
from tenantry.domain.base import Act
from tenantry.domain.directory_group import DirectoryGroup
from tenantry.domain.directory_roster import DirectoryRoster, RosterGroup, RosterUser
from tenantry.domain.directory_user import DirectoryUser
from tenantry.domain.errors import InvalidField, NothingChanged
from tenantry.domain.provisioning_errors import ScimResourceNotFound, ScimUniquenessConflict
from tenantry.domain.scim_documents import (
    MAX_DEPTH,
    MAX_DOCUMENT_CHARS,
    MAX_GROUP_MEMBERS,
    ScimKind,
    document,
)
from tests.unit.helpers import aggregate_topics, assert_replays_to, replay

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ACT = Act(T0, "directory:dir_0000000000000000000000000a")

GOLDEN_TOPICS = sorted(
    [
        "tenantry.domain.base:Snapshot",
        "tenantry.domain.directory_group:DirectoryGroup.Created",
        "tenantry.domain.directory_group:DirectoryGroup.Deleted",
        "tenantry.domain.directory_group:DirectoryGroup.DocumentReplaced",
        "tenantry.domain.directory_group:DirectoryGroup.MembersAdded",
        "tenantry.domain.directory_group:DirectoryGroup.MembersRemoved",
        "tenantry.domain.directory_roster:DirectoryRoster.ChangeTimesKept",
        "tenantry.domain.directory_roster:DirectoryRoster.GroupChanged",
        "tenantry.domain.directory_roster:DirectoryRoster.GroupListed",
        "tenantry.domain.directory_roster:DirectoryRoster.GroupMembersChanged",
        "tenantry.domain.directory_roster:DirectoryRoster.GroupReindexed",
        "tenantry.domain.directory_roster:DirectoryRoster.GroupUnlisted",
        "tenantry.domain.directory_roster:DirectoryRoster.Opened",
        "tenantry.domain.directory_roster:DirectoryRoster.UserChanged",
        "tenantry.domain.directory_roster:DirectoryRoster.UserListed",
        "tenantry.domain.directory_roster:DirectoryRoster.UserReindexed",
        "tenantry.domain.directory_roster:DirectoryRoster.UserUnlisted",
        "tenantry.domain.directory_user:DirectoryUser.Created",
        "tenantry.domain.directory_user:DirectoryUser.Deleted",
        "tenantry.domain.directory_user:DirectoryUser.Replaced",
    ]
)


def test_the_provisioning_event_topics_are_the_golden_list() -> None:
    assert aggregate_topics(directory_user, directory_group, directory_roster) == GOLDEN_TOPICS


def _user(user_name: str = "ada@acme.test", **extra: Any) -> DirectoryUser:
    doc = {"userName": user_name, "name": {"givenName": "Ada"}, **extra}
    return DirectoryUser.create(uuid4(), uuid4(), uuid4(), doc, user_name, ACT)


# --- documents ---------------------------------------------------------------------------------


def test_a_document_is_stored_without_what_the_service_provider_assigns() -> None:
    given = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "dus_x",
        "meta": {"version": 'W/"3"'},
        "userName": "Cafe\u0301@acme.test",
        "emails": [{"value": "ada@acme.test", "primary": True}],
        "active": True,
        "password": "hunter2-secret",
    }
    stored = document(given, ScimKind.USER)
    assert "password" not in stored
    assert "id" not in stored
    assert "meta" not in stored
    assert stored["userName"] == "Caf\u00e9@acme.test"  # NFC
    assert stored["emails"] == [{"value": "ada@acme.test", "primary": True}]
    assert document({"userName": "a", "active": None}, ScimKind.USER)["active"] is None
    group = document({"displayName": "Admins", "members": [{"value": "x"}]}, ScimKind.GROUP)
    assert group == {"displayName": "Admins"}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({}, "userName"),
        ({"userName": ""}, "userName"),
        ({"userName": 7}, "userName"),
        ({"userName": "a\u202eb"}, "userName"),
        ({"userName": "a", "externalId": "x" * 256}, "externalId"),
        ({"userName": "a", "title": "a\x00b"}, "title"),
        ({"userName": "a", "name": {"givenName": "\ud800"}}, "name.givenName"),
        ({"userName": "a", "emails": [{"value": "a\x07"}]}, "emails[0].value"),
        ({"userName": "a", "x": float("nan")}, "x"),
        ({"userName": "a", "x": {1, 2}}, "x"),
        ({"userName": "a", "active": "yes"}, "active"),
        ({"userName": "a", "x": "y" * 5000}, "x"),
        ({"userName": "a", "bad\u202ekey": 1}, "document"),
    ],
)
def test_a_document_breaking_a_rule_is_refused_naming_the_field(
    given: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        document(given, ScimKind.USER)
    assert refused.value.field == field


def test_a_document_has_a_size_and_a_depth_limit() -> None:
    big = {"userName": "a", **{f"k{i}": "v" * 4000 for i in range(10)}}
    with pytest.raises(InvalidField, match=str(MAX_DOCUMENT_CHARS)):
        document(big, ScimKind.USER)
    deep: dict[str, Any] = {"leaf": 1}
    for _ in range(MAX_DEPTH):
        deep = {"n": deep}
    with pytest.raises(InvalidField, match="nested"):
        document({"userName": "a", "x": deep}, ScimKind.USER)
    with pytest.raises(InvalidField) as refused:
        document({"members": []}, ScimKind.GROUP)
    assert refused.value.field == "displayName"


# --- users -------------------------------------------------------------------------------------


def test_a_directory_user_is_created_replaced_and_deleted() -> None:
    user = _user()
    assert user.public_id.startswith("dus_")
    assert user.state.user_id == ids.user_uuid("ada@acme.test")
    assert user.active
    assert user.user_name == "ada@acme.test"
    assert user.external_id is None
    user.replace(
        {"userName": "ada@acme.test", "active": False, "externalId": "e1"}, "ada@x.test", ACT
    )
    assert not user.active
    assert user.external_id == "e1"
    assert user.state.user_id == ids.user_uuid("ada@x.test")
    user.delete(ACT)
    events = user.collect_events()
    assert [type(e).__name__ for e in events] == ["Created", "Replaced", "Deleted"]
    assert_replays_to(user, events)
    assert all(e.actor == ACT.actor for e in events)


def test_refused_directory_user_commands_record_nothing() -> None:
    user = _user(active=True)
    user.collect_events()
    with pytest.raises(NothingChanged):
        user.replace(
            {"userName": "ada@acme.test", "name": {"givenName": "Ada"}, "active": True},
            "ada@acme.test",
            ACT,
        )
    with pytest.raises(InvalidField):
        user.replace({"userName": "ada@acme.test"}, "not an e-mail", ACT)
    with pytest.raises(InvalidField):
        user.replace({"userName": "\x00"}, "ada@acme.test", ACT)
    assert user.collect_events() == []
    user.delete(ACT)
    user.collect_events()
    with pytest.raises(ScimResourceNotFound):
        user.replace({"userName": "b"}, "b@acme.test", ACT)
    with pytest.raises(ScimResourceNotFound):
        user.delete(ACT)
    assert user.collect_events() == []


# --- groups ------------------------------------------------------------------------------------


def test_a_group_records_only_who_joined_and_who_left() -> None:
    a, b, c = uuid4(), uuid4(), uuid4()
    group = DirectoryGroup.create(uuid4(), uuid4(), uuid4(), {"displayName": "Eng"}, [a, b, a], ACT)
    assert group.state.members == [a, b]
    assert group.replace({"displayName": "Eng"}, [b, c], ACT) == ([c], [a])
    assert group.replace({"displayName": "Eng"}, [b, c], ACT) == ([], [])
    group.replace({"displayName": "Engineering"}, [c, b], ACT)
    assert group.remove_member(b, ACT)
    assert not group.remove_member(b, ACT)
    group.delete(ACT)
    events = group.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Created",
        "MembersRemoved",
        "MembersAdded",
        "DocumentReplaced",
        "MembersRemoved",
        "Deleted",
    ]
    assert [len(getattr(e, "members", [])) for e in events[1:3]] == [1, 1]
    assert_replays_to(group, events)
    assert group.state.members == [c]
    assert group.display_name == "Engineering"


def test_a_group_has_a_member_limit_and_a_deleted_one_is_not_found() -> None:
    group = DirectoryGroup.create(uuid4(), uuid4(), uuid4(), {"displayName": "Eng"}, [], ACT)
    group.collect_events()
    too_many = [UUID(int=i) for i in range(MAX_GROUP_MEMBERS + 1)]
    with pytest.raises(InvalidField) as refused:
        group.replace({"displayName": "Eng"}, too_many, ACT)
    assert refused.value.field == "members"
    group.delete(ACT)
    with pytest.raises(ScimResourceNotFound):
        group.replace({"displayName": "Eng"}, [], ACT)
    assert [type(e).__name__ for e in group.collect_events()] == ["Deleted"]


# --- roster ------------------------------------------------------------------------------------


def _entry(user_name: str, email: str, external_id: str | None = None) -> RosterUser:
    return RosterUser(
        user_name=user_name, external_id=external_id, user_id=ids.user_uuid(email), email=email
    )


def test_the_roster_lists_in_creation_order_and_indexes_users_and_groups() -> None:
    roster = DirectoryRoster.open(uuid4(), uuid4(), ACT)
    assert roster.id == DirectoryRoster.create_id(roster.state.directory_id)
    u1, u2, g1, g2 = uuid4(), uuid4(), uuid4(), uuid4()
    roster.list_user(u1, _entry("Ada", "ada@acme.test", "e1"), ACT)
    roster.list_user(u2, _entry("bob", "bob@acme.test", "e1"), ACT)
    roster.list_group(g1, RosterGroup(display_name="Admins", external_id=None), ACT)
    roster.list_group(g2, RosterGroup(display_name="admins", external_id="x"), ACT)
    roster.change_group_members(g1, [u1, u2], [], ACT)
    roster.change_group_members(g2, [u1], [], ACT)
    assert list(roster.state.users) == [u1, u2]
    assert roster.user_by_name("ADA") == u1
    assert roster.users_by_external_id("e1") == [u1, u2]
    assert roster.groups_by_name("ADMINS") == [g1, g2]
    assert roster.user_of_person(ids.user_uuid("bob@acme.test")) == u2
    assert roster.groups_of(u1) == [g1, g2]
    roster.update_user(u1, _entry("ada.l", "ada@x.test", "e2"), ACT)
    roster.update_user(u1, _entry("ada.l", "ada@x.test", "e2"), ACT)  # the same: only when
    assert roster.user_by_name("ada") is None
    assert roster.user_by_name("Ada.L") == u1
    assert roster.users_by_external_id("e1") == [u2]
    assert roster.user_of_person(ids.user_uuid("ada@acme.test")) is None
    roster.update_group(g2, RosterGroup(display_name="Ops", external_id="x"), ACT)
    roster.unlist_group(g1, ACT)
    roster.unlist_user(u2, ACT)
    roster.unlist_user(u2, ACT)  # gone already: nothing
    events = roster.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Opened",
        "ChangeTimesKept",
        "UserListed",
        "UserListed",
        "GroupListed",
        "GroupListed",
        "GroupMembersChanged",
        "GroupMembersChanged",
        "UserReindexed",
        "UserChanged",
        "GroupReindexed",
        "GroupUnlisted",
        "UserUnlisted",
    ]
    assert_replays_to(roster, events)
    assert (roster.total_users, roster.total_groups) == (1, 1)
    assert roster.groups_of(u1) == [g2]
    assert roster.groups_by_name("admins") == []
    assert roster.state.user_groups == {u1: [g2]}


def test_the_roster_refuses_a_taken_user_name_or_person() -> None:
    roster = DirectoryRoster.open(uuid4(), uuid4(), ACT)
    u1 = uuid4()
    roster.list_user(u1, _entry("Ada", "ada@acme.test"), ACT)
    roster.collect_events()
    with pytest.raises(ScimUniquenessConflict) as taken:
        roster.list_user(uuid4(), _entry("ADA", "other@acme.test"), ACT)
    assert (taken.value.attribute, taken.value.value) == ("userName", "ADA")
    with pytest.raises(ScimUniquenessConflict) as taken:
        roster.list_user(uuid4(), _entry("other", "ada@acme.test"), ACT)
    assert taken.value.attribute == "email"
    u2 = uuid4()
    roster.list_user(u2, _entry("bob", "bob@acme.test"), ACT)
    roster.collect_events()
    with pytest.raises(ScimUniquenessConflict):
        roster.update_user(u2, _entry("ada", "bob@acme.test"), ACT)
    assert roster.collect_events() == []


def test_a_roster_and_a_group_load_from_their_snapshots() -> None:
    roster = DirectoryRoster.open(uuid4(), uuid4(), ACT)
    u1, g1 = uuid4(), uuid4()
    roster.list_user(u1, _entry("Ada", "ada@acme.test", "e1"), ACT)
    roster.list_group(g1, RosterGroup(display_name="Eng", external_id=None), ACT)
    roster.change_group_members(g1, [u1], [], ACT)
    group = DirectoryGroup.create(g1, uuid4(), uuid4(), {"displayName": "Eng"}, [u1], ACT)
    for aggregate in (roster, group):
        loaded = type(aggregate).Snapshot.take(aggregate).mutate(None)
        assert (loaded.state, loaded.version) == (aggregate.state, aggregate.version)


def test_a_roster_stored_before_its_maps_were_persistent_loads() -> None:
    """A snapshot written when the roster's containers were dicts (the same JSON objects)."""
    directory, org, u1, g1 = uuid4(), uuid4(), uuid4(), uuid4()
    person = ids.user_uuid("ada@acme.test")
    entry = {"user_name": "Ada", "external_id": "e1", "user_id": str(person)}
    state: dict[str, Any] = {
        "directory_id": str(directory),
        "organization_id": str(org),
        "users": {str(u1): {**entry, "email": "ada@acme.test"}},
        "groups": {str(g1): {"display_name": "Eng", "external_id": None}},
        "user_names": {"ada": str(u1)},
        "people": {str(person): str(u1)},
        "user_external_ids": {"e1": [str(u1)]},
        "group_names": {"eng": [str(g1)]},
        "group_external_ids": {},
        "user_groups": {str(u1): [str(g1)]},
        "_created_on": T0.isoformat(),
        "_modified_on": T0.isoformat(),
    }
    snapshot = DirectoryRoster.Snapshot(
        originator_id=DirectoryRoster.create_id(directory),
        originator_version=4,
        timestamp=T0,
        topic="tenantry.domain.directory_roster:DirectoryRoster",
        state=state,
    )
    roster = snapshot.mutate(None)
    assert isinstance(roster, DirectoryRoster)
    assert (roster.user_by_name("ADA"), roster.groups_of(u1), roster.total_users) == (u1, [g1], 1)
    u2 = uuid4()
    roster.list_user(u2, _entry("bob", "bob@acme.test"), ACT)
    assert list(roster.state.users) == [u1, u2]
    taken = roster.Snapshot.take(roster).state
    assert {k: v for k, v in taken.items() if k != "_class_version"} == {
        **state,
        "users": {
            **state["users"],
            str(u2): {**_entry("bob", "bob@acme.test").model_dump(mode="json")},
        },
        "user_names": {"ada": str(u1), "bob": str(u2)},
        "people": {str(person): str(u1), str(ids.user_uuid("bob@acme.test")): str(u2)},
        "change_times_kept": True,  # from the first event recorded now: u1's time is unknown
        "user_changes": {str(u2): "2026-01-01T12:00:00Z"},
        "group_changes": {},
    }


def test_a_large_roster_is_snapshotted_less_often() -> None:
    roster = DirectoryRoster.open(uuid4(), uuid4(), ACT)
    assert [v for v in range(1, 1001) if roster.snapshot_due(v, 200)] == [200, 400, 600, 800, 1000]
    for i in range(4_000):  # a quarter of 4,000 entries: every 1,600 events (200 x 2^3)
        roster.list_user(uuid4(), _entry(f"u{i}", f"u{i}@acme.test"), ACT)
    due = [v for v in range(1, 10_000) if roster.snapshot_due(v, 200)]
    assert due == [1_600, 3_200, 4_800, 6_400, 8_000, 9_600]


def _at(minutes: int) -> Act:
    return Act(T0 + timedelta(minutes=minutes), ACT.actor)


def test_the_roster_keeps_when_each_user_and_group_last_changed() -> None:
    roster = DirectoryRoster.open(uuid4(), uuid4(), _at(0))
    u1, u2, g1 = uuid4(), uuid4(), uuid4()
    roster.list_user(u1, _entry("ada", "ada@acme.test"), _at(1))
    roster.list_user(u2, _entry("bob", "bob@acme.test"), _at(2))
    roster.list_group(g1, RosterGroup(display_name="Eng", external_id=None), _at(3))
    roster.update_user(u1, _entry("ada", "ada@acme.test"), _at(4))  # its document only
    roster.change_group_members(g1, [u2], [], _at(5))
    unknown = _never_asked
    assert roster.users_changed_after(T0 + timedelta(minutes=2), unknown) == [u1]
    assert roster.users_changed_after(T0 + timedelta(minutes=1), unknown) == [u1, u2]
    assert roster.groups_changed_after(T0 + timedelta(minutes=4), unknown) == [g1]
    assert roster.groups_changed_after(T0 + timedelta(minutes=5), unknown) == []  # strictly
    roster.unlist_user(u2, _at(6))  # its group loses it
    assert roster.groups_changed_after(T0 + timedelta(minutes=5), unknown) == [g1]
    assert roster.user_changed_at(u2) is None
    events = roster.collect_events()
    assert_replays_to(roster, events)
    loaded = DirectoryRoster.Snapshot.take(roster).mutate(None)
    assert loaded.state == roster.state
    assert loaded.user_changed_at(u1) == T0 + timedelta(minutes=4)
    assert loaded.group_changed_at(g1) == T0 + timedelta(minutes=6)


def _never_asked(item: UUID) -> datetime:
    raise AssertionError(f"the roster knows when {item} changed")


def test_a_roster_stored_before_change_times_asks_for_what_it_does_not_know() -> None:
    roster = DirectoryRoster.open(uuid4(), uuid4(), _at(0))
    u1, u2 = uuid4(), uuid4()
    roster.list_user(u1, _entry("ada", "ada@acme.test"), _at(1))
    opened, _, listed = roster.collect_events()  # as stored before: without ChangeTimesKept
    old = replay([opened, listed.model_copy(update={"originator_version": 2})])
    old_snapshot = DirectoryRoster.Snapshot.take(old)
    for field in ("change_times_kept", "user_changes", "group_changes"):
        del old_snapshot.state[field]  # a snapshot taken before the fields existed
    asked: list[UUID] = []

    def modified_on(item: UUID) -> datetime:  # what the user itself says
        asked.append(item)
        return T0 + timedelta(minutes=3)

    for legacy in (old, old_snapshot.mutate(None)):
        assert legacy.user_changed_at(u1) is None
        asked.clear()
        legacy.list_user(u2, _entry("bob", "bob@acme.test"), _at(5))
        new = legacy.collect_events()
        assert [type(e).__name__ for e in new] == ["ChangeTimesKept", "UserListed"]
        since = T0 + timedelta(minutes=4)
        assert legacy.users_changed_after(since, modified_on) == [u2]
        assert asked == [u1]
        assert legacy.users_changed_after(T0, modified_on) == [u1, u2]
