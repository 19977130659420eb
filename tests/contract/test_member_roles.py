"""Giving a member roles, or taking one, without restating the others."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField, NothingChanged
from tenantry.domain.role_errors import UndefinedRole
from tenantry.domain.user_errors import LastMemberRole, MemberRoleNotHeld
from tests.unit.helpers import records_nothing

MakeApp = Callable[..., Tenantry]


@pytest.fixture
def app(make_app: MakeApp, database_url: str) -> Tenantry:
    return make_app(database_url)


def test_roles_are_given_beside_and_taken_from_those_held(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.add_member(org, "ann@x.io", roles=["member"])
    given = app.assign_member_roles(org, "ann@x.io", ["billing", "admin"], actor="cli:ops")
    assert given.roles == ["admin", "billing", "member"]
    with records_nothing(app), pytest.raises(NothingChanged):
        app.assign_member_roles(org, "ann@x.io", ["admin"])
    taken = app.remove_member_role(org, "ann@x.io", "billing", actor="cli:ops")
    assert taken.roles == ["admin", "member"]
    assert app.get_membership(org, "ann@x.io").roles == ["admin", "member"]
    history = app.list_history(org)
    assert [e.actor for e in history[-2:]] == ["cli:ops", "cli:ops"]


def test_refusals_name_the_rule_and_record_nothing(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.add_member(org, "ann@x.io", roles=["member"])
    with records_nothing(app), pytest.raises(MemberRoleNotHeld) as not_held:
        app.remove_member_role(org, "ann@x.io", "admin")
    assert not_held.value.code == "member_role_not_held"
    with records_nothing(app), pytest.raises(LastMemberRole):
        app.remove_member_role(org, "ann@x.io", "member")
    with records_nothing(app), pytest.raises(InvalidField) as bad:
        app.remove_member_role(org, "ann@x.io", "Not A Role")
    assert bad.value.field == "role_name"
    with records_nothing(app), pytest.raises(InvalidField) as empty:
        app.assign_member_roles(org, "ann@x.io", [])
    assert empty.value.field == "roles"
    app.create_role("viewer", permissions=["users:read"])  # roles now enforced
    with records_nothing(app), pytest.raises(UndefinedRole):
        app.assign_member_roles(org, "ann@x.io", ["ghost"])


def test_concurrent_assignments_lose_no_role(make_app: MakeApp, tmp_path: object) -> None:
    app = make_app(f"sqlite:///{tmp_path}/roles.db")
    org = app.create_organization("Acme").id
    app.add_member(org, "ann@x.io", roles=["member"])
    names = [f"r{i}" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: app.assign_member_roles(org, "ann@x.io", [n]), names))
    assert app.get_membership(org, "ann@x.io").roles == sorted(["member", *names])
