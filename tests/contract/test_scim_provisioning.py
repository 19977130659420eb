"""Provisioning through a SCIM directory, on every backend: a SCIM user is a person and an ACTIVE
``dir_sync`` membership of the directory's organization, within its seat limit; ``active``,
replace and delete move the membership; groups give roles through the directory's mapping;
every event names the directory as its actor, and a refusal records nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tenantry.application.app import Tenantry
from tenantry.application.provisioning_dto import ScimKind
from tenantry.domain import ids
from tenantry.domain.directory_errors import DirectoryNotActive
from tenantry.domain.directory_roster import DirectoryRoster
from tenantry.errors import (
    InvalidField,
    MembershipNotFound,
    ScimResourceNotFound,
    ScimUniquenessConflict,
    ScimVersionMismatch,
    SeatLimitReached,
)
from tests.provisioning_support import active_directory, scim_group, scim_user
from tests.unit.helpers import assert_replays_to, records_nothing, stored

USER, GROUP = ScimKind.USER, ScimKind.GROUP


@pytest.fixture
def app(make_app: Callable[..., Tenantry], database_url: str) -> Tenantry:
    return make_app(database_url)


def test_a_created_user_is_an_active_dir_sync_member_recorded_by_the_directory(
    app: Tenantry,
) -> None:
    org_id, dir_id = active_directory(app)
    before = app.recorder.max_notification_id() or 0
    record = app.scim_create(dir_id, USER, scim_user("Ada@Acme.test", external_id="e-1"))
    assert record.id.startswith("dus_")
    assert (record.kind, record.version) == (USER, 1)
    assert record.document["userName"] == "Ada@Acme.test"
    assert "id" not in record.document
    member = app.get_membership(org_id, "ada@acme.test")
    assert (member.status, member.provisioning_method) == ("ACTIVE", "dir_sync")
    user = app.get_user("ada@acme.test")
    assert (user.user_profile.given_name, user.user_profile.family_name) == ("Ada", "Lovelace")
    actors = {event["actor"] for _, _, event in stored(app, before)}
    assert actors == {f"directory:{dir_id}"}
    assert app.scim_get(dir_id, USER, record.id) == record
    assert app.scim_ids(dir_id, USER) == [record.id]
    assert app.scim_find(dir_id, USER, "userName", "ADA@acme.TEST") == [record]
    assert app.scim_find(dir_id, USER, "externalId", "e-1") == [record]
    assert app.scim_find(dir_id, USER, "externalId", "E-1") == []
    assert app.get_seat_usage(org_id).seats_in_use == 1


def test_a_taken_user_name_or_person_is_a_uniqueness_conflict(app: Tenantry) -> None:
    _, dir_id = active_directory(app)
    app.scim_create(dir_id, USER, scim_user("ada@acme.test"))
    with records_nothing(app), pytest.raises(ScimUniquenessConflict) as taken:
        app.scim_create(dir_id, USER, scim_user("other@acme.test", user_name="ADA@acme.test"))
    assert taken.value.attribute == "userName"
    with records_nothing(app), pytest.raises(ScimUniquenessConflict) as taken:
        app.scim_create(dir_id, USER, scim_user("ada@acme.test", user_name="ada"))
    assert (taken.value.attribute, taken.value.value) == ("email", "ada@acme.test")


def test_the_seat_limit_refuses_a_create_and_a_reactivation_and_records_nothing(
    app: Tenantry,
) -> None:
    org_id, dir_id = active_directory(app, seats=2)
    first = app.scim_create(dir_id, USER, scim_user("a@acme.test"))
    app.scim_create(dir_id, USER, scim_user("b@acme.test"))
    with records_nothing(app), pytest.raises(SeatLimitReached):
        app.scim_create(dir_id, USER, scim_user("c@acme.test"))
    assert app.scim_find(dir_id, USER, "userName", "c@acme.test") == []
    off = app.scim_replace(dir_id, USER, first.id, scim_user("a@acme.test", active=False))
    assert app.get_membership(org_id, "a@acme.test").status == "INACTIVE"
    assert app.get_seat_usage(org_id).seats_in_use == 1
    third = app.scim_create(dir_id, USER, scim_user("c@acme.test"))
    with records_nothing(app), pytest.raises(SeatLimitReached):
        app.scim_replace(dir_id, USER, first.id, scim_user("a@acme.test"))
    app.scim_delete(dir_id, USER, third.id)
    on = app.scim_replace(dir_id, USER, first.id, scim_user("a@acme.test"))
    assert on.version == off.version + 1
    assert app.get_membership(org_id, "a@acme.test").status == "ACTIVE"


def test_the_same_document_again_records_nothing_and_a_stale_version_is_refused(
    app: Tenantry,
) -> None:
    _, dir_id = active_directory(app)
    doc = scim_user("ada@acme.test")
    record = app.scim_create(dir_id, USER, doc)
    with records_nothing(app):
        assert app.scim_replace(dir_id, USER, record.id, doc, expected_version=1) == record
    with records_nothing(app), pytest.raises(ScimVersionMismatch):
        app.scim_replace(dir_id, USER, record.id, {**doc, "title": "x"}, expected_version=7)
    with records_nothing(app), pytest.raises(ScimVersionMismatch):
        app.scim_delete(dir_id, USER, record.id, expected_version=2)
    changed = app.scim_replace(dir_id, USER, record.id, {**doc, "title": "x"}, expected_version=1)
    assert (changed.version, changed.document["title"]) == (2, "x")
    assert changed.last_modified >= record.last_modified


def test_a_delete_removes_the_membership_and_the_user_stays(app: Tenantry) -> None:
    org_id, dir_id = active_directory(app)
    record = app.scim_create(dir_id, USER, scim_user("ada@acme.test"))
    app.scim_delete(dir_id, USER, record.id)
    with pytest.raises(MembershipNotFound):
        app.get_membership(org_id, "ada@acme.test")
    assert app.get_user("ada@acme.test").email == "ada@acme.test"
    with pytest.raises(ScimResourceNotFound):
        app.scim_get(dir_id, USER, record.id)
    with records_nothing(app), pytest.raises(ScimResourceNotFound):
        app.scim_delete(dir_id, USER, record.id)
    assert app.scim_ids(dir_id, USER) == []
    again = app.scim_create(dir_id, USER, scim_user("ada@acme.test"))
    assert again.id != record.id
    assert app.get_membership(org_id, "ada@acme.test").status == "ACTIVE"


def test_an_existing_member_is_linked_and_a_pending_invitation_accepted(app: Tenantry) -> None:
    org_id, dir_id = active_directory(app, seats=2)
    app.add_member(org_id, "boss@acme.test", roles=["owner"])
    app.invite_member(org_id, "new@acme.test")
    boss = app.scim_create(dir_id, USER, scim_user("boss@acme.test"))
    member = app.get_membership(org_id, "boss@acme.test")
    assert (member.status, member.provisioning_method, member.roles) == (
        "ACTIVE",
        "direct_provision",
        ["owner"],
    )
    app.scim_create(dir_id, USER, scim_user("new@acme.test"))  # the invitation held the seat
    assert app.get_membership(org_id, "new@acme.test").status == "ACTIVE"
    app.scim_delete(dir_id, USER, boss.id)
    with pytest.raises(MembershipNotFound):
        app.get_membership(org_id, "boss@acme.test")


def test_a_person_another_directory_stands_for_is_a_conflict(app: Tenantry) -> None:
    org_id, dir_id = active_directory(app)
    other = app.create_directory(org_id, "CUSTOM").id
    app.enable_directory(org_id, other)
    app.scim_create(dir_id, USER, scim_user("ada@acme.test"))
    with records_nothing(app), pytest.raises(ScimUniquenessConflict) as taken:
        app.scim_create(other, USER, scim_user("ada@acme.test"))
    assert (taken.value.attribute, taken.value.value) == ("email", "ada@acme.test")


def test_a_changed_e_mail_moves_the_membership_in_one_transaction(app: Tenantry) -> None:
    org_id, dir_id = active_directory(app, seats=1)
    record = app.scim_create(dir_id, USER, scim_user("ada@acme.test"))
    app.scim_replace(dir_id, USER, record.id, scim_user("ada.l@acme.test"))
    with pytest.raises(MembershipNotFound):
        app.get_membership(org_id, "ada@acme.test")
    assert app.get_membership(org_id, "ada.l@acme.test").status == "ACTIVE"
    assert app.get_seat_usage(org_id).seats_in_use == 1
    assert app.scim_find(dir_id, USER, "userName", "ada@acme.test") == []


def test_an_inactive_create_admits_no_one_until_it_is_activated(app: Tenantry) -> None:
    org_id, dir_id = active_directory(app)
    record = app.scim_create(dir_id, USER, scim_user("ada@acme.test", active=False))
    with pytest.raises(MembershipNotFound):
        app.get_membership(org_id, "ada@acme.test")
    app.scim_replace(dir_id, USER, record.id, scim_user("ada@acme.test"))
    assert app.get_membership(org_id, "ada@acme.test").status == "ACTIVE"


def test_groups_give_roles_through_the_mapping(app: Tenantry) -> None:
    org_id, dir_id = active_directory(app, mapping={"group_roles": {"Admins": "admin"}})
    ada = app.scim_create(dir_id, USER, scim_user("ada@acme.test")).id
    bob = app.scim_create(dir_id, USER, scim_user("bob@acme.test")).id
    default = app.get_membership(org_id, "bob@acme.test").roles
    admins = app.scim_create(dir_id, GROUP, scim_group("ADMINS", [ada, bob]))
    assert admins.document["members"] == [{"value": ada}, {"value": bob}]
    assert app.get_membership(org_id, "ada@acme.test").roles == ["admin"]
    other = app.scim_create(dir_id, GROUP, scim_group("Everyone", [ada, bob]))
    app.scim_replace(dir_id, GROUP, admins.id, scim_group("Admins", [ada]))
    assert app.get_membership(org_id, "bob@acme.test").roles == default
    assert app.get_membership(org_id, "ada@acme.test").roles == ["admin"]
    app.scim_delete(dir_id, USER, bob)
    assert app.scim_get(dir_id, GROUP, other.id).document["members"] == [{"value": ada}]
    app.scim_delete(dir_id, GROUP, admins.id)
    assert app.get_membership(org_id, "ada@acme.test").roles == default
    assert app.scim_find(dir_id, GROUP, "displayName", "everyone")[0].id == other.id


def test_a_group_member_that_is_not_a_user_of_the_directory_is_refused(app: Tenantry) -> None:
    _, dir_id = active_directory(app)
    ada = app.scim_create(dir_id, USER, scim_user("ada@acme.test")).id
    unknown = ids.encode(ids.DIRECTORY_USER, ids.new_id())
    with records_nothing(app), pytest.raises(InvalidField) as refused:
        app.scim_create(dir_id, GROUP, scim_group("Eng", [ada, unknown]))
    assert refused.value.field == "members[1].value"
    assert unknown in refused.value.rule
    nested = {"displayName": "Eng", "members": [{"value": ada, "type": "Group"}]}
    with records_nothing(app), pytest.raises(InvalidField) as refused:
        app.scim_create(dir_id, GROUP, nested)
    assert refused.value.field == "members[0].type"
    typed = {"displayName": "Eng", "members": [{"value": ada, "type": "user", "display": "A"}]}
    assert app.scim_create(dir_id, GROUP, typed).document["members"] == [{"value": ada}]


def test_an_inactive_directory_provisions_nothing(app: Tenantry) -> None:
    org_id, dir_id = active_directory(app)
    app.disable_directory(org_id, dir_id)
    with records_nothing(app), pytest.raises(DirectoryNotActive):
        app.scim_create(dir_id, USER, scim_user("ada@acme.test"))
    app.enable_directory(org_id, dir_id)
    app.update_organization_settings(org_id, [("dir_sync", False)])
    with records_nothing(app), pytest.raises(DirectoryNotActive):
        app.scim_ids(dir_id, USER)


def test_a_directory_lists_its_users_and_groups_a_page_at_a_time(app: Tenantry) -> None:
    org_id, dir_id = active_directory(app)
    made = [app.scim_create(dir_id, USER, scim_user(f"u{i}@acme.test")).id for i in range(5)]
    app.scim_create(dir_id, GROUP, scim_group("Eng", made[:2]))
    first = app.list_directory_users(org_id, dir_id, page_size=2)
    assert [u.id for u in first.users] == made[:2]
    assert first.total_size == 5
    assert [g.display_name for g in first.users[0].groups] == ["Eng"]
    app.scim_delete(dir_id, USER, made[1])  # the token's item is gone: the page still follows
    second = app.list_directory_users(org_id, dir_id, page_size=2, page_token=first.next_page_token)
    assert [u.id for u in second.users] == made[2:4]
    last = app.list_directory_users(org_id, dir_id, page_size=2, page_token=second.next_page_token)
    assert ([u.id for u in last.users], last.next_page_token) == (made[4:], "")
    groups = app.list_directory_groups(org_id, dir_id)
    assert [(g.display_name, g.total_users) for g in groups.groups] == [("Eng", 1)]
    assert app.get_directory(org_id, dir_id).total_users == 4
    assert app.get_directory(org_id, dir_id).total_groups == 1


def test_the_roster_and_the_directory_users_replay_from_their_stored_events(
    app: Tenantry,
) -> None:
    _, dir_id = active_directory(app)
    ada = app.scim_create(dir_id, USER, scim_user("ada@acme.test")).id
    app.scim_replace(dir_id, USER, ada, scim_user("ada@acme.test", active=False))
    app.scim_create(dir_id, GROUP, scim_group("Eng", [ada]))
    roster_id = DirectoryRoster.create_id(ids.decode(ids.DIRECTORY, dir_id))
    for uid in (roster_id, ids.decode(ids.DIRECTORY_USER, ada)):
        assert_replays_to(app.repository.get(uid), app.events.get(uid))


def test_a_large_group_changes_by_the_members_who_join_or_leave(
    make_app: Callable[..., Tenantry],
) -> None:
    app = make_app("memory://")
    org_id, dir_id = active_directory(app, mapping={"group_roles": {"Staff": "staff"}})
    made = [app.scim_create(dir_id, USER, scim_user(f"u{i}@acme.test")).id for i in range(2001)]
    staff = app.scim_create(dir_id, GROUP, scim_group("Staff", made[:2000]))
    assert app.get_membership(org_id, "u1999@acme.test").roles == ["staff"]
    before = app.recorder.max_notification_id() or 0
    app.scim_replace(dir_id, GROUP, staff.id, scim_group("Staff", made[1:]))
    recorded = stored(app, before)
    changes = {t.rpartition(":")[2]: e for _, t, e in recorded if "Directory" in t}
    assert len(changes["DirectoryGroup.MembersAdded"]["members"]) == 1
    assert len(changes["DirectoryGroup.MembersRemoved"]["members"]) == 1
    joined = changes["DirectoryRoster.GroupMembersChanged"]
    assert (len(joined["joined"]), len(joined["left"])) == (1, 1)
    assert len(recorded) < 12  # the two members' roles, not the group's 2000
    assert app.get_membership(org_id, "u0@acme.test").roles != ["staff"]
    assert app.get_membership(org_id, "u2000@acme.test").roles == ["staff"]


def test_the_audit_log_files_what_the_directory_did_under_its_organization(
    app: Tenantry,
) -> None:
    org_id, dir_id = active_directory(app)
    ada = app.scim_create(dir_id, USER, scim_user("ada@acme.test")).id
    group = app.scim_create(dir_id, GROUP, scim_group("Eng", [ada])).id
    app.scim_replace(dir_id, USER, ada, scim_user("ada@acme.test", active=False))
    app.scim_delete(dir_id, GROUP, group)
    app.scim_delete(dir_id, USER, ada)
    views = app.views  # type: ignore[attr-defined]
    page = views.list_audit_log(
        organization_id=org_id, page_size=100, min_position=app.last_position
    )
    by_directory = [e for e in page.entries if e.actor == f"directory:{dir_id}"]
    events = {e.event for e in by_directory}
    assert {
        "DirectoryUser.Created",
        "DirectoryUser.Replaced",
        "DirectoryUser.Deleted",
        "DirectoryGroup.Created",
        "DirectoryGroup.Deleted",
        "DirectoryRoster.UserListed",
        "DirectoryRoster.GroupUnlisted",
        "Organization.MemberAdded",
        "Organization.MemberDeactivated",
        "Organization.MemberRemoved",
        "Membership.Provisioned",
    } <= events
    listed = next(e for e in by_directory if e.event == "DirectoryRoster.UserListed")
    assert listed.data["directory_user_id"] == ada


def test_records_are_read_many_at_once_and_found_by_their_indexed_attributes(
    app: Tenantry,
) -> None:
    _, dir_id = active_directory(app)
    ada = app.scim_create(dir_id, USER, scim_user("ada@acme.test")).id
    bob = app.scim_create(dir_id, "User", scim_user("bob@acme.test")).id
    eng = app.scim_create(dir_id, GROUP, scim_group("Eng", [], externalId="g-1"))
    app.scim_delete(dir_id, USER, ada)
    gone = ids.encode(ids.DIRECTORY_USER, ids.new_id())
    got = app.scim_get_many(dir_id, USER, [bob, ada, gone, "not-an-id"])
    assert [r.id for r in got] == [bob]
    assert app.scim_get_many(dir_id, "Group", ids=[eng.id]) == [eng]
    assert app.scim_find(dir_id, GROUP, "externalId", "g-1") == [eng]
    assert app.scim_find(dir_id, GROUP, "displayName", "ENG") == [eng]
    with pytest.raises(InvalidField) as refused:
        app.scim_find(dir_id, USER, "displayName", "x")
    assert refused.value.field == "attribute"
    with pytest.raises(InvalidField) as refused:
        app.scim_ids(dir_id, "Widget")
    assert refused.value.field == "kind"
    with pytest.raises(ScimResourceNotFound):
        app.scim_get(dir_id, GROUP, bob)  # a user's id is no group's


def test_a_password_the_directory_sends_never_reaches_an_event(app: Tenantry) -> None:
    _, dir_id = active_directory(app)
    record = app.scim_create(dir_id, USER, scim_user("ada@acme.test", password="s3cret-Pw!"))
    assert "password" not in record.document
    app.scim_replace(dir_id, USER, record.id, scim_user("ada@acme.test", password="n3w-Pw!"))
    recorded = repr(stored(app))
    assert "s3cret-Pw!" not in recorded
    assert "n3w-Pw!" not in recorded


def test_a_group_change_at_a_stale_version_is_refused(app: Tenantry) -> None:
    _, dir_id = active_directory(app)
    ada = app.scim_create(dir_id, USER, scim_user("ada@acme.test")).id
    eng = app.scim_create(dir_id, GROUP, scim_group("Eng", []))
    with records_nothing(app), pytest.raises(ScimVersionMismatch) as stale:
        app.scim_replace(dir_id, GROUP, eng.id, scim_group("Eng", [ada]), expected_version=2)
    assert (stale.value.expected, stale.value.actual) == (2, 1)
    with records_nothing(app), pytest.raises(InvalidField) as refused:
        app.scim_delete(dir_id, GROUP, eng.id, expected_version="1")  # type: ignore[arg-type]
    assert refused.value.field == "expected_version"
    joined = app.scim_replace(dir_id, GROUP, eng.id, scim_group("Eng", [ada]), expected_version=1)
    assert joined.version == 2
    app.scim_delete(dir_id, GROUP, eng.id, expected_version=2)
    assert app.scim_ids(dir_id, GROUP) == []


def test_a_mapped_role_deleted_since_reads_as_the_role_its_holders_moved_to(
    app: Tenantry,
) -> None:
    org_id, dir_id = active_directory(app)
    for role in ("auditor", "reviewer"):
        app.create_organization_role(org_id, role)
    app.update_directory(org_id, dir_id, mapping={"group_roles": {"Audit": "auditor"}})
    app.delete_organization_role(org_id, "auditor", reassign_to="reviewer")
    ada = app.scim_create(dir_id, USER, scim_user("ada@acme.test")).id
    app.scim_create(dir_id, GROUP, scim_group("Audit", [ada]))
    assert app.get_membership(org_id, "ada@acme.test").roles == ["reviewer"]


def test_a_new_group_mapping_gives_the_grouped_members_their_roles_at_once(
    app: Tenantry,
) -> None:
    org_id, dir_id = active_directory(app)
    ada = app.scim_create(dir_id, USER, scim_user("ada@acme.test")).id
    app.scim_create(dir_id, USER, scim_user("bob@acme.test"))
    app.scim_create(dir_id, GROUP, scim_group("Admins", [ada]))
    default = app.get_membership(org_id, "ada@acme.test").roles
    app.update_directory(org_id, dir_id, mapping={"group_roles": {"admins": "admin"}})
    assert app.get_membership(org_id, "ada@acme.test").roles == ["admin"]
    assert app.get_membership(org_id, "bob@acme.test").roles == default
    app.update_directory(org_id, dir_id, mapping={"group_roles": {"Admins": "owner"}})
    assert app.get_membership(org_id, "ada@acme.test").roles == ["owner"]
    app.update_directory(org_id, dir_id, mapping={"group_roles": {}})  # roles left as they are
    assert app.get_membership(org_id, "ada@acme.test").roles == ["owner"]
