"""Roles and permissions, run against every backend: in memory, a SQLite file, PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField, NothingChanged
from tenantry.domain.role_errors import (
    DefaultRoleInUse,
    RoleAlreadyExists,
    RoleHasDescendants,
    RoleInheritanceCycle,
    RoleNotFound,
    UndefinedRole,
    UnknownParentRole,
)
from tests.unit.helpers import records_nothing, stored, topics

MakeApp = Callable[..., Tenantry]


@pytest.fixture
def app(make_app: MakeApp, database_url: str) -> Tenantry:
    return make_app(database_url)


def test_roles_are_free_labels_until_a_role_is_defined(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    assert app.add_member(org, "ann@x.io", roles=["anything"]).roles == ["anything"]
    assert [r.name for r in app.list_roles()] == ["admin", "member"]
    app.create_role("viewer", permissions=["users:read"])
    with records_nothing(app), pytest.raises(UndefinedRole) as e:
        app.add_member(org, "bob@x.io", roles=["anything"])
    assert e.value.field == "roles"
    with records_nothing(app), pytest.raises(UndefinedRole):
        app.update_member_roles(org, "ann@x.io", ["ghost"])


def test_a_new_member_without_roles_gets_the_default_role(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    assert app.invite_member(org, "ann@x.io").roles == ["member"]
    app.create_role("viewer", permissions=["users:read"])
    app.set_default_role("viewer")
    assert app.add_member(org, "bob@x.io").roles == ["viewer"]
    app.create_organization_role(org, "billing", extends="viewer")
    app.set_default_role("billing", organization_id=org)
    assert app.invite_member(org, "cat@x.io").roles == ["billing"]
    assert app.get_role("viewer").is_default
    assert app.get_organization_role(org, "billing").is_default
    assert app.get_default_role().name == "viewer"
    assert app.get_default_role(org).name == "billing"


def test_effective_permissions_are_the_closure_over_extends(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.create_role("viewer", display_name="Viewer", permissions=["users:read"])
    app.create_role("editor", extends="viewer", permissions=["users:write"])
    app.create_organization_role(org, "billing", extends="editor", permissions=["invoices:read"])
    member = app.add_member(org, "ann@x.io", roles=["billing", "viewer"])
    everything = ["invoices:read", "users:read", "users:write"]
    assert member.permissions == everything
    assert [(r.name, r.display_name) for r in member.role_details] == [
        ("billing", "billing"),
        ("viewer", "Viewer"),
    ]
    assert app.list_user_permissions(org, "ann@x.io") == everything
    roles = app.list_user_roles(org, member.user_id)
    assert [(r.name, r.organization_id) for r in roles] == [("billing", org), ("viewer", None)]
    assert app.get_membership(org, "ann@x.io") == member
    assert app.get_role("editor").effective_permissions == ["users:read", "users:write"]


def test_cycles_unknown_parents_and_taken_names_are_refused(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.create_role("viewer")
    app.create_role("editor", extends="viewer")
    with records_nothing(app), pytest.raises(RoleInheritanceCycle) as cycle:
        app.update_role("viewer", extends="editor")
    assert cycle.value.field == "extends"
    with records_nothing(app), pytest.raises(UnknownParentRole):
        app.create_organization_role(org, "billing", extends="ghost")
    with records_nothing(app), pytest.raises(RoleAlreadyExists):
        app.create_organization_role(org, "viewer")
    with records_nothing(app), pytest.raises(NothingChanged):
        app.update_role("viewer", permissions=[])
    with records_nothing(app), pytest.raises(RoleNotFound):
        app.get_organization_role(org, "viewer")  # an environment role, not the organization's


def test_deleting_a_role_moves_its_holders_in_batches_recorded_with_the_actor(
    app: Tenantry,
) -> None:
    orgs = [app.create_organization(name).id for name in ("Acme", "Globex")]
    app.create_role("viewer", permissions=["users:read"])
    app.create_role("auditor", extends="viewer")
    for org in orgs:
        for n in range(3):
            app.add_member(org, f"u{n}@x.io", roles=["auditor", "member"])
    app.add_member(orgs[0], "other@x.io", roles=["viewer"])
    with records_nothing(app), pytest.raises(RoleHasDescendants):
        app.delete_role("viewer", reassign_to="member")
    with records_nothing(app), pytest.raises(DefaultRoleInUse):
        app.delete_role("member", reassign_to="admin")
    with records_nothing(app), pytest.raises(InvalidField):
        app.delete_role("auditor", reassign_to="ghost")
    before = stored(app)[-1][0]
    done = app.delete_role("auditor", reassign_to="viewer", actor="boss", batch_size=2)
    assert done.memberships_reassigned == 6
    assert [r.name for r in app.list_roles()] == ["admin", "member", "viewer"]
    for org in orgs:
        assert app.get_membership(org, "u0@x.io").roles == ["member", "viewer"]
    changed = [t for t in topics(app, before) if t == "Membership.RolesChanged"]
    assert len(changed) == 6
    assert {state["actor"] for _, _, state in stored(app, before)} == {"boss"}
    history = app.list_history(orgs[0])
    moved = [h for h in history if h.event == "MemberRolesChanged"]
    assert [h.data["roles"] for h in moved] == [["member", "viewer"]] * 3
    assert all(h.actor == "boss" and "auditor" in (h.reason or "") for h in moved)


def test_member_role_and_metadata_changes_appear_in_the_history(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    ann = app.add_member(org, "ann@x.io")
    app.update_membership(org, "ann@x.io", roles=["admin"], metadata={"team": "core"}, actor="a")
    events = [(h.event, h.actor, h.data) for h in app.list_history(org)[-2:]]
    assert events == [
        ("MemberRolesChanged", "a", {"user_id": ann.user_id, "roles": ["admin"]}),
        ("MemberMetadataChanged", "a", {"user_id": ann.user_id, "metadata": {"team": "core"}}),
    ]


def test_a_book_first_stored_by_a_deletion_records_who_opened_it_and_when(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.add_member(org, "ann@x.io", roles=["admin"])
    moved = app.delete_role("admin", reassign_to="member", actor="boss")
    assert moved.memberships_reassigned == 1
    opened = [s for _, topic, s in stored(app) if topic.endswith("RoleBook.Opened")]
    assert [(s["actor"], s["timestamp"][:4]) for s in opened] == [("boss", "2026")]
    assert app.get_membership(org, "ann@x.io").roles == ["member"]


def test_role_changes_are_in_the_audit_log_of_their_scope(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.create_role("viewer")
    app.create_organization_role(org, "billing", extends="viewer")
    app.update_organization_role(org, "billing", description="Pays")
    store = ProjectionStore(app)
    try:
        mine = store.list_audit_log(organization_id=org, min_position=app.last_position)
        events = [(e.event, e.data.get("organization_id")) for e in mine.entries]
        assert events[-3:] == [
            ("RoleBook.Opened", org),
            ("RoleBook.Defined", None),
            ("RoleBook.Updated", None),
        ]
        everything = store.list_audit_log(event_type="RoleBook.Defined")
        assert [e.organization_id for e in everything.entries] == [None, org]
    finally:
        store.close()


def test_a_founder_gets_the_role_admin_was_deleted_for(app: Tenantry) -> None:
    app.create_role("owner", permissions=["org:admin"])
    app.delete_role("admin", reassign_to="owner")
    signed = app.sign_up("founder@acme.io", "Acme")
    assert signed.membership.roles == ["owner"]
    assert signed.membership.permissions == ["org:admin"]


def test_permissions_are_added_and_removed_in_one_change_keeping_the_others(
    app: Tenantry,
) -> None:
    app.create_role("editor", permissions=["posts:read"])
    changed = app.change_role_permissions(
        "editor", add=["posts:write", "posts:read"], remove=["posts:read"], actor="cli:ann"
    )
    assert changed.permissions == ["posts:write"]
    app.update_role("editor", description="Edits")  # a change in between is kept
    assert app.change_role_permissions("editor", add=["posts:delete"]).permissions == [
        "posts:delete",
        "posts:write",
    ]
    assert app.get_role("editor").description == "Edits"
    with records_nothing(app), pytest.raises(NothingChanged):
        app.change_role_permissions("editor", remove=["posts:publish"])
    with records_nothing(app), pytest.raises(InvalidField) as bad:
        app.change_role_permissions("editor", add=["Not Valid"])
    assert bad.value.field == "add"
    with records_nothing(app), pytest.raises(RoleNotFound):
        app.change_role_permissions("ghost", add=["posts:read"])
