"""A hypothesis state machine for roles: define, extend, delete with reassignment, default roles
and members' roles, over the environment's book and one organization's.

A tiny explicit model (:class:`RoleModel`) predicts each outcome first: a predicted refusal must
raise exactly that error class and record nothing; a predicted success is then applied to the
model. The invariants: a member's effective permissions equal the model's closure over
``extends``; no chain of ``extends`` ever cycles; once a role is defined, no membership holds a
role that is not defined; and the books rebuilt from their stored events equal the live ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.errors import InvalidField, NothingChanged, TenantryError
from tenantry.domain.role_errors import (
    DefaultRoleInUse,
    RoleAlreadyExists,
    RoleHasDescendants,
    RoleInheritanceCycle,
    RoleNotFound,
    UndefinedRole,
    UnknownParentRole,
)
from tenantry.domain.roles import RoleBook
from tests.unit.helpers import records_nothing, replay

NAMES = st.sampled_from(["admin", "member", "r1", "r2", "r3", "r4"])
PERMISSIONS = st.lists(st.sampled_from(["a:read", "a:write", "b:read", "c:x"]), max_size=2)
SCOPES = st.sampled_from(["env", "org"])
EMAILS = st.sampled_from(["u1@x.io", "u2@x.io", "u3@x.io"])
Role = tuple[str | None, frozenset[str]]  # (extends, own permissions)


@dataclass
class Book:
    roles: dict[str, Role]
    default: str | None = None
    retired: dict[str, str] = field(default_factory=dict)


@dataclass
class RoleModel:
    """What the application should hold: both books, and each member's roles."""

    env: Book = field(
        default_factory=lambda: Book({"admin": (None, frozenset()), "member": (None, frozenset())})
    )
    org: Book = field(default_factory=lambda: Book({}))
    enforced: bool = False
    members: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, set[str]] = field(default_factory=dict)
    """Each member's roles given while roles were free labels (before any was defined)."""

    def __post_init__(self) -> None:
        self.env.default = "member"

    def book(self, scope: str) -> Book:
        return self.env if scope == "env" else self.org

    def lookup(self, name: str) -> tuple[str, Role] | None:
        """The scope defining ``name`` as the organization sees it (its own first)."""
        for scope in ("org", "env"):
            if name in self.book(scope).roles:
                return scope, self.book(scope).roles[name]
        return None

    def sees(self, scope: str, name: str) -> bool:
        return name in self.env.roles or (scope == "org" and name in self.org.roles)

    def parent(self, scope: str, name: str) -> tuple[str, Role] | None:
        if scope == "env":
            return ("env", self.env.roles[name]) if name in self.env.roles else None
        return self.lookup(name)

    def chain(self, scope: str, name: str, extends: str | None) -> list[tuple[str, str]]:
        """The (scope, role) pairs reached from ``extends``, as a role ``name`` of ``scope``."""
        out: list[tuple[str, str]] = []
        current = extends
        where = scope
        while current is not None:
            found = self.parent(where, current)
            if found is None or (found[0], current) in out:
                break
            out.append((found[0], current))
            where, current = found[0], found[1][0]
        return out

    def closure(self, names: list[str]) -> list[str]:
        permissions: set[str] = set()
        for name in names:
            found = self.lookup(name)
            if found is None:
                continue
            permissions |= found[1][1]
            for scope, parent in self.chain(found[0], name, found[1][0]):
                permissions |= self.book(scope).roles[parent][1]
        return sorted(permissions)

    def replacement(self, name: str) -> str:
        seen = {name}
        while self.lookup(name) is None:
            moved = next((b.retired[name] for b in (self.org, self.env) if name in b.retired), None)
            if moved is None or moved in seen:
                return name
            seen.add(moved)
            name = moved
        return name

    def default_role(self) -> str:
        if self.enforced and self.org.default is not None:
            return self.replacement(self.org.default)
        return self.env.default or "member"


class RolesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app = Tenantry()
        self.org = self.app.create_organization("Acme").id
        self.model = RoleModel()

    # --- helpers -------------------------------------------------------------------------------

    def refused(self, error: type[TenantryError], command: Callable[[], Any]) -> None:
        with records_nothing(self.app), pytest.raises(error):
            command()

    def org_scope(self, scope: str) -> dict[str, Any]:
        return {} if scope == "env" else {"organization_id": self.org}

    # --- rules ---------------------------------------------------------------------------------

    @rule(scope=SCOPES, name=NAMES, extends=st.none() | NAMES, perms=PERMISSIONS)
    def create(self, scope: str, name: str, extends: str | None, perms: list[str]) -> None:
        m = self.model
        book = m.book(scope)
        taken = name in book.roles or (scope == "org" and name in m.env.roles)
        if scope == "env":
            command = lambda: self.app.create_role(name, extends=extends, permissions=perms)  # noqa: E731
        else:
            command = lambda: self.app.create_organization_role(  # noqa: E731
                self.org, name, extends=extends, permissions=perms
            )
        if taken:
            return self.refused(RoleAlreadyExists, command)
        if extends is not None and not m.sees(scope, extends):
            return self.refused(UnknownParentRole, command)
        made = command()
        assert made.effective_permissions == sorted(
            set(perms)
            | {p for s, r in m.chain(scope, name, extends) for p in m.book(s).roles[r][1]}
        )
        book.roles[name] = (extends, frozenset(perms))
        book.retired.pop(name, None)
        m.enforced = True
        return None

    @rule(scope=SCOPES, name=NAMES, extends=st.none() | NAMES)
    def extend(self, scope: str, name: str, extends: str | None) -> None:
        m = self.model
        book = m.book(scope)
        if scope == "env":
            command = lambda: self.app.update_role(name, extends=extends)  # noqa: E731
        else:
            command = lambda: self.app.update_organization_role(  # noqa: E731
                self.org, name, extends=extends
            )
        if name not in book.roles:
            return self.refused(RoleNotFound, command)
        if book.roles[name][0] == extends:
            return self.refused(NothingChanged, command)
        if extends is not None and not m.sees(scope, extends):
            return self.refused(UnknownParentRole, command)
        if (scope, name) in m.chain(scope, name, extends):
            return self.refused(RoleInheritanceCycle, command)
        command()
        book.roles[name] = (extends, book.roles[name][1])
        m.enforced = True
        return None

    @rule(scope=SCOPES, name=NAMES, to=NAMES)
    def delete(self, scope: str, name: str, to: str) -> None:
        m = self.model
        book = m.book(scope)
        if scope == "env":
            command = lambda: self.app.delete_role(name, reassign_to=to, batch_size=2)  # noqa: E731
        else:
            command = lambda: self.app.delete_organization_role(  # noqa: E731
                self.org, name, reassign_to=to, batch_size=2
            )
        if name not in book.roles:
            return self.refused(RoleNotFound, command)
        if to == name or not m.sees(scope, to):
            return self.refused(InvalidField, command)
        if book.default == name:
            return self.refused(DefaultRoleInUse, command)
        if any(extends == name for extends, _ in book.roles.values()):
            return self.refused(RoleHasDescendants, command)
        shadowed = scope == "env" and name in m.org.roles
        holders = [] if shadowed else [e for e, held in m.members.items() if name in held]
        done = command()
        assert done.memberships_reassigned == len(holders)
        del book.roles[name]
        book.retired[name] = to
        m.enforced = True
        for email in holders:
            m.members[email] = sorted((set(m.members[email]) - {name}) | {to})
        return None

    @rule(scope=SCOPES, name=NAMES)
    def set_default(self, scope: str, name: str) -> None:
        m = self.model
        book = m.book(scope)
        command = lambda: self.app.set_default_role(name, **self.org_scope(scope))  # noqa: E731
        if not m.sees(scope, name):
            return self.refused(RoleNotFound, command)
        if book.default == name:
            return self.refused(NothingChanged, command)
        command()
        book.default = name
        m.enforced = True
        return None

    @rule(email=EMAILS, roles=st.none() | st.lists(NAMES, min_size=1, max_size=2))
    def admit(self, email: str, roles: list[str] | None) -> None:
        m = self.model
        if email in m.members:
            command = lambda: self.app.update_member_roles(self.org, email, roles or ["member"])  # noqa: E731
            wanted = sorted(set(roles or ["member"]))
            if m.enforced and any(m.lookup(r) is None for r in wanted):
                return self.refused(UndefinedRole, command)
            if wanted == m.members[email]:
                return self.refused(NothingChanged, command)
            command()
            m.members[email] = wanted
            m.labels[email] = set() if m.enforced else set(wanted)
            return None
        command = lambda: self.app.add_member(self.org, email, roles=roles)  # noqa: E731
        if roles is not None and m.enforced and any(m.lookup(r) is None for r in roles):
            return self.refused(UndefinedRole, command)
        shown = command()
        m.members[email] = sorted(set(roles)) if roles is not None else [m.default_role()]
        m.labels[email] = set() if m.enforced else set(m.members[email])
        assert shown.roles == m.members[email]
        return None

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def members_hold_their_roles_and_the_closure_of_their_permissions(self) -> None:
        for email, held in self.model.members.items():
            assert self.app.get_membership(self.org, email).roles == held
            assert self.app.list_user_permissions(self.org, email) == self.model.closure(held)

    @invariant()
    def no_member_holds_an_undefined_role_once_roles_are_defined(self) -> None:
        """Except a free label given before any role was defined, which it keeps (as a role
        with no permissions) until its roles change."""
        if not self.model.enforced:
            return
        for email, held in self.model.members.items():
            labels = self.model.labels[email]
            assert all(self.model.lookup(r) is not None or r in labels for r in held)

    @invariant()
    def no_chain_of_extends_cycles(self) -> None:
        for scope in ("env", "org"):
            for name, (extends, _) in self.model.book(scope).roles.items():
                reached = self.model.chain(scope, name, extends)
                assert (scope, name) not in reached

    @invariant()
    def the_books_are_the_model_and_replay_from_their_events(self) -> None:
        for scope, org in (("env", None), ("org", ids.decode(ids.ORG, self.org))):
            book_id = ids.role_book_uuid(org)
            events = list(self.app.events.get(book_id))
            if not events:
                continue
            live = self.app.repository.get(book_id)
            assert isinstance(live, RoleBook)
            assert replay(events).state == live.state
            expected = {n: (e, sorted(p)) for n, (e, p) in self.model.book(scope).roles.items()}
            stored = {n: (r.extends, r.permissions) for n, r in live.state.roles.items()}
            assert stored == expected


def test_roles_behave_like_the_model() -> None:
    run_state_machine_as_test(
        RolesMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
