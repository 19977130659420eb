"""Export and import carry an organization's role book: its roles, their inheritance, its
default role; an imported book is checked as the commands check one. On every backend."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tenantry.application import transfer
from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.errors import InvalidField
from tenantry.domain.role_errors import RoleInheritanceCycle, UndefinedRole, UnknownParentRole
from tests.support import BACKENDS, FakeClock, database
from tests.unit.helpers import records_nothing

MakeApp = Callable[..., Tenantry]
MEMBERS = ("ada@acme.example", "bob@acme.example", "cy@acme.example")


@pytest.fixture(params=BACKENDS)
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A source and a fresh target database of one backend."""
    (tmp_path / "source").mkdir()
    (tmp_path / "target").mkdir()
    with (
        database(request.param, tmp_path / "source") as source,
        database(request.param, tmp_path / "target") as target,
    ):
        yield source, target


def _seeded(app: Tenantry, clock: FakeClock) -> str:
    """An organization whose own roles extend one another and a built-in role, with a role
    deleted (its holders moved), one updated, its own default role, and members holding them."""
    org = app.create_organization("Acme", external_id="acme", actor="ops").id
    clock.advance(timedelta(minutes=1))
    app.create_organization_role(org, "billing", extends="member", permissions=["invoices:read"])
    app.create_organization_role(
        org, "billing-admin", extends="billing", permissions=["invoices:write"]
    )
    app.create_organization_role(org, "temp", permissions=["temp:read"])
    app.set_default_role("billing", organization_id=org)
    app.add_member(org, MEMBERS[0], roles=["billing-admin"])
    app.add_member(org, MEMBERS[1])
    app.add_member(org, MEMBERS[2], roles=["temp", "admin"])
    clock.advance(timedelta(minutes=1))
    app.update_organization_role(org, "billing", description="Reads the invoices")
    app.delete_organization_role(org, "temp", reassign_to="billing")
    return org


def _roles_seen(app: Tenantry, org: str) -> dict[str, object]:
    """Everything a client sees of the organization's roles and its members' roles."""
    return {
        "roles": [r.model_dump(mode="json") for r in app.list_organization_roles(org)],
        "default": app.get_default_role(org).model_dump(mode="json"),
        "members": {
            email: (
                [r.model_dump(mode="json") for r in app.list_user_roles(org, email)],
                app.list_user_permissions(org, email),
                app.get_membership(org, email).model_dump(mode="json"),
            )
            for email in MEMBERS
        },
    }


def _lines(app: Tenantry, org: str) -> list[str]:
    records, _ = transfer.export_organization(app, org)
    return [transfer.dump_line(r) for r in records]


def _import(target: Tenantry, lines: list[str]) -> transfer.TransferSummary:
    return transfer.import_organization(target, transfer.parse_lines(lines))


def test_an_imported_organization_has_the_same_roles_permissions_and_member_roles(
    make_app: MakeApp, clock: FakeClock, urls: tuple[str, str]
) -> None:
    source, target = make_app(urls[0]), make_app(urls[1])
    org = _seeded(source, clock)
    before = _roles_seen(source, org)
    assert before["members"]["ada@acme.example"][1] == ["invoices:read", "invoices:write"]  # type: ignore[index]
    assert before["default"]["name"] == "billing"  # type: ignore[index]
    lines = _lines(source, org)
    assert any(".roles:RoleBook.Deleted" in line for line in lines)
    _import(target, lines)
    assert _roles_seen(target, org) == before
    assert _lines(target, org) == lines
    target.create_organization_role(org, "auditor", extends="billing-admin")  # a live book


def test_list_user_permissions_of_a_reconnected_target_equal_the_sources(
    make_app: MakeApp, clock: FakeClock, urls: tuple[str, str]
) -> None:
    source = make_app(urls[0])
    org = _seeded(source, clock)
    before = {m: source.list_user_permissions(org, m) for m in MEMBERS}
    target = make_app(urls[1])
    _import(target, _lines(source, org))
    # tenantry.connect(...) anew, but a memory database lives in its application only
    after = target if urls[1] == "memory://" else make_app(urls[1])
    assert {m: after.list_user_permissions(org, m) for m in MEMBERS} == before


def _tamper(lines: list[str], topic_end: str, change: Callable[[dict[str, object]], None]) -> int:
    """Changes the state of the first event whose topic ends so; its event number."""
    for index, line in enumerate(lines):
        record = json.loads(line)
        if record["topic"].endswith(topic_end):
            change(record["state"])
            lines[index] = json.dumps(record)
            return index + 1
    raise AssertionError(f"no {topic_end} event")  # pragma: no cover


def _extend(parent: str) -> Callable[[dict[str, object]], None]:
    def change(state: dict[str, object]) -> None:
        state["role"] = {**state["role"], "extends": parent}  # type: ignore[dict-item]

    return change


def test_an_export_whose_roles_make_a_cycle_is_refused_naming_the_field(
    make_app: MakeApp, clock: FakeClock, urls: tuple[str, str]
) -> None:
    source, target = make_app(urls[0]), make_app(urls[1])
    lines = _lines(source, _seeded(source, clock))
    number = _tamper(lines, "RoleBook.Updated", _extend("billing-admin"))  # billing's update
    with records_nothing(target), pytest.raises(RoleInheritanceCycle) as e:
        _import(target, lines)
    assert e.value.field == f"event {number}.role.extends"
    assert e.value.cycle == ["billing", "billing-admin", "billing"]


def _with_environment_role(
    make_app: MakeApp, clock: FakeClock, urls: tuple[str, str]
) -> tuple[Tenantry, Tenantry, str]:
    """A source whose environment defines ``support`` (the target's does not), and the org."""
    source, target = make_app(urls[0]), make_app(urls[1])
    source.create_role("support", permissions=["tickets:read"])
    return source, target, _seeded(source, clock)


def _event(lines: list[str], field: str) -> dict[str, Any]:
    """The exported event an error's field (``event N.…``) names."""
    number = int(field.removeprefix("event ").split(".")[0])
    record: dict[str, Any] = json.loads(lines[number - 1])
    return record


def _define_and_import(source: Tenantry, target: Tenantry, org: str, lines: list[str]) -> None:
    """Defines ``support`` in the target, imports: bob's permissions are as in the source."""
    target.create_role("support", permissions=["tickets:read"])
    _import(target, lines)
    bob = source.list_user_permissions(org, MEMBERS[1])
    assert "tickets:read" in bob
    assert target.list_user_permissions(org, MEMBERS[1]) == bob


def test_a_role_extending_an_environment_role_the_target_lacks_is_refused_by_name(
    make_app: MakeApp, clock: FakeClock, urls: tuple[str, str]
) -> None:
    source, target, org = _with_environment_role(make_app, clock, urls)
    source.create_organization_role(org, "helpdesk", extends="support", permissions=["chat:use"])
    source.update_member_roles(org, MEMBERS[1], ["helpdesk"])
    lines = _lines(source, org)
    with records_nothing(target), pytest.raises(UnknownParentRole) as e:
        _import(target, lines)
    assert (e.value.name, e.value.parent) == ("helpdesk", "support")
    assert e.value.field.endswith(".role.extends")
    assert _event(lines, e.value.field)["state"]["role"]["name"] == "helpdesk"
    _define_and_import(source, target, org, lines)


def test_a_member_holding_an_environment_role_the_target_lacks_is_refused_by_name(
    make_app: MakeApp, clock: FakeClock, urls: tuple[str, str]
) -> None:
    source, target, org = _with_environment_role(make_app, clock, urls)
    source.update_member_roles(org, MEMBERS[1], ["support", "billing"])
    lines = _lines(source, org)
    with records_nothing(target), pytest.raises(UndefinedRole) as e:
        _import(target, lines)
    assert e.value.name == "support"
    assert e.value.field.endswith(".roles")
    given = _event(lines, e.value.field)
    assert given["topic"].endswith("Membership.RolesChanged")
    assert given["state"]["roles"] == ["billing", "support"]
    _define_and_import(source, target, org, lines)


def test_members_roles_stay_free_labels_where_no_role_is_defined(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source, target = make_app(), make_app()
    org = source.create_organization("Acme").id
    source.add_member(org, MEMBERS[0], roles=["auditor"])  # no role defined anywhere
    _import(target, _lines(source, org))
    assert [r.name for r in target.list_user_roles(org, MEMBERS[0])] == ["auditor"]


@pytest.mark.parametrize(
    ("topic_end", "key", "value", "field"),
    [
        ("RoleBook.Defined", "role", {"name": "x", "display_name": "X", "permissions": ["Bad"]},
         "role.permissions"),
        ("RoleBook.Defined", "role", {"name": " x", "display_name": "X"}, "role.name"),
        ("RoleBook.Opened", "default_role", "admin", ""),
        ("RoleBook.Deleted", "reassign_to", "nobody", "reassign_to"),
        ("RoleBook.DefaultSet", "name", "Not A Role", "name"),
        ("RoleBook.DefaultSet", "name", "nobody", "name"),
    ],
)  # fmt: skip
def test_a_role_book_event_that_breaks_a_role_rule_is_refused_naming_its_field(
    make_app: MakeApp,
    clock: FakeClock,
    topic_end: str,
    key: str,
    value: object,
    field: str,
) -> None:
    source, target = make_app(), make_app()
    lines = _lines(source, _seeded(source, clock))
    number = _tamper(lines, topic_end, lambda state: state.__setitem__(key, value))
    with records_nothing(target), pytest.raises(InvalidField) as e:
        _import(target, lines)
    assert e.value.field == f"event {number}" + (f".{field}" if field else "")


def test_a_role_book_of_another_organization_is_refused(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source, target = make_app(), make_app()
    org = _seeded(source, clock)
    other = source.create_organization("Other").id
    source.create_organization_role(other, "x")
    records = transfer.export_organization(source, org)[0]
    others = transfer.export_organization(source, other)[0]
    book = ids.role_book_uuid(ids.decode(ids.ORG, other))
    foreign = [r for r in others if r.originator_id == book]
    lines = [transfer.dump_line(r) for r in foreign + records]
    with records_nothing(target), pytest.raises(InvalidField) as e:
        _import(target, lines)
    assert "is not of this organization" in e.value.rule
