"""Role books: definitions, inheritance without cycles, deletion, the default role, and the
roles an organization sees (given → when → then, with a replay check)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from tenantry.domain import ids
from tenantry.domain.base import Act
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
from tenantry.domain.role_scope import RoleScope
from tenantry.domain.role_values import RoleDefinition, permissions
from tenantry.domain.roles import RoleBook
from tests.unit.helpers import assert_replays_to

ACT = Act(datetime(2026, 1, 1, tzinfo=UTC), "admin@acme.test")
ORG = UUID("00000000-0000-4000-8000-000000000001")


def role(name: str, extends: str | None = None, *perms: str) -> RoleDefinition:
    return RoleDefinition(
        name=name, display_name=name.title(), extends=extends, permissions=[*perms]
    )


def books() -> tuple[RoleBook, RoleBook]:
    env = RoleBook.open(None, ACT)
    env.define(role("viewer", None, "users:read"), ACT)
    env.define(role("editor", "viewer", "users:write"), ACT)
    org = RoleBook.open(ORG, ACT)
    org.define(role("billing", "editor", "invoices:read"), ACT, env)
    return env, org


def test_the_environment_book_starts_with_admin_and_member_and_member_is_the_default() -> None:
    env = RoleBook.open(None, ACT)
    assert sorted(env.state.roles) == ["admin", "member"]
    assert env.state.default_role == "member"
    assert env.id == ids.role_book_uuid(None) != ids.role_book_uuid(ORG)
    assert RoleBook.open(ORG, ACT).state.roles == {}


def test_effective_permissions_are_the_closure_over_extends_across_scopes() -> None:
    env, org = books()
    scope = RoleScope(env, org, enforced=True)
    assert scope.closure(["billing"]) == ["invoices:read", "users:read", "users:write"]
    assert scope.closure(["viewer", "member"]) == ["users:read"]
    assert [r.id for r in scope.resolve(["billing"])] == [ids.role_id(ORG, "billing")]


def test_an_unknown_parent_is_refused_naming_the_field() -> None:
    env, org = books()
    with pytest.raises(UnknownParentRole) as e:
        org.define(role("x", "nobody"), ACT, env)
    assert e.value.field == "extends"
    with pytest.raises(UnknownParentRole):
        env.define(role("y", "billing"), ACT)  # an environment role sees no organization role


def test_a_cycle_through_extends_is_refused_directly_or_through_other_roles() -> None:
    env, org = books()
    with pytest.raises(RoleInheritanceCycle) as e:
        env.update(role("viewer", "editor"), ACT)
    assert e.value.cycle == ["viewer", "editor", "viewer"]
    with pytest.raises(RoleInheritanceCycle):
        env.update(role("viewer", "viewer"), ACT)
    org.define(role("auditor", "billing"), ACT, env)
    with pytest.raises(RoleInheritanceCycle):
        org.update(role("billing", "auditor"), ACT, env)


def test_a_name_taken_in_the_scope_or_the_environment_is_refused() -> None:
    env, org = books()
    with pytest.raises(RoleAlreadyExists):
        env.define(role("viewer"), ACT)
    with pytest.raises(RoleAlreadyExists):
        org.define(role("admin"), ACT, env)


def test_an_update_that_changes_nothing_is_refused() -> None:
    env, _ = books()
    with pytest.raises(NothingChanged):
        env.update(role("viewer", None, "users:read"), ACT)
    with pytest.raises(RoleNotFound):
        env.update(role("ghost"), ACT)


def test_deleting_a_role_needs_a_defined_replacement_and_no_descendants() -> None:
    env, org = books()
    with pytest.raises(RoleHasDescendants):
        env.delete("viewer", "member", ACT)
    with pytest.raises(DefaultRoleInUse):
        env.delete("member", "admin", ACT)
    with pytest.raises(InvalidField) as e:
        org.delete("billing", "billing", ACT, env)
    assert e.value.field == "reassign_to"
    org.delete("billing", "member", ACT, env)
    scope = RoleScope(env, org, enforced=True)
    assert scope.replacement("billing") == "member"
    assert [r.definition.name for r in scope.resolve(["billing", "member"])] == ["member"]
    with pytest.raises(UndefinedRole):
        scope.check(["billing"])


def test_the_default_role_applies_to_a_newcomer_without_roles() -> None:
    env, org = books()
    org.set_default("billing", ACT, env)
    scope = RoleScope(env, org, enforced=True)
    assert scope.for_newcomer(None) == ["billing"]
    assert scope.for_newcomer(["viewer"]) == ["viewer"]
    with pytest.raises(UndefinedRole) as e:
        scope.for_newcomer(["ghost"], "membership.roles")
    assert e.value.field == "membership.roles"
    with pytest.raises(NothingChanged):
        org.set_default("billing", ACT, env)
    with pytest.raises(RoleNotFound):
        org.set_default("ghost", ACT, env)


def test_free_labels_stay_allowed_until_a_role_is_defined() -> None:
    scope = RoleScope(RoleBook.open(None, ACT), None, enforced=False)
    assert scope.for_newcomer(["anything"]) == ["anything"]
    assert scope.closure(["anything"]) == []


def test_permissions_follow_the_pattern_rule() -> None:
    assert permissions(["users:read", "users:read", "org:settings:write"]) == [
        "org:settings:write",
        "users:read",
    ]
    for bad in ("users", "Users:read", "users:", ":read", "users read"):
        with pytest.raises(InvalidField) as e:
            permissions([bad])
        assert e.value.field == "permissions"


def test_a_role_book_replays_to_its_state() -> None:
    env, org = books()
    org.delete("billing", "viewer", ACT, env)
    for book in (env, org):
        events = book.collect_events()
        assert_replays_to(book, events)


def test_every_deterministic_id_namespace_is_distinct() -> None:
    spaces = [v for k, v in vars(ids).items() if k.startswith("NS_")]
    assert len(spaces) >= 5
    assert len(set(spaces)) == len(spaces)
