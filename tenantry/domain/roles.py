"""Role definitions: the RoleBook aggregate of one scope (the environment, or one organization).

A scope's roles live in one book (``ids.role_book_uuid``), so the rules that span roles — no
cycle through ``extends``, no role extending an unknown one, one default role — are checked on
one aggregate in one transaction. The environment's book starts with two built-in roles,
``admin`` and ``member`` (the default role of new members); an organization's book starts
empty and sees the environment's roles beside its own (its own first: an organization role
shadows an environment role of the same name defined after it).

A deleted role's name is kept with the role its holders were moved to (``retired``), so that a
membership that still names it (an admission that raced the deletion) reads as holding the
replacement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids
from tenantry.domain.base import Act, Aggregate, AggregateState
from tenantry.domain.errors import InvalidField, NothingChanged
from tenantry.domain.role_errors import (
    DefaultRoleInUse,
    RoleAlreadyExists,
    RoleHasDescendants,
    RoleInheritanceCycle,
    RoleNotFound,
    UnknownParentRole,
)
from tenantry.domain.role_values import RoleDefinition

BUILT_IN_ROLES: Final = (
    RoleDefinition(name="admin", display_name="Admin", description="Administers the organization"),
    RoleDefinition(name="member", display_name="Member", description="A member"),
)
DEFAULT_ROLE: Final = "member"


class RoleBookState(AggregateState):
    organization_id: UUID | None
    roles: dict[str, RoleDefinition] = {}
    default_role: str | None = None
    retired: dict[str, str] = {}


class RoleBook(Aggregate):
    """The role definitions of one scope, and its default role for new members."""

    State = RoleBookState
    if TYPE_CHECKING:
        state: RoleBookState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: RoleBookState) -> None:
            pass

    class Opened(Event, CanInitAggregate[UUID]):
        originator_topic: str
        organization_id: UUID | None
        roles: list[RoleDefinition]
        default_role: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.state = RoleBookState(
                organization_id=self.organization_id,
                roles={r.name: r for r in self.roles},
                default_role=self.default_role,
            )

    class Defined(Event):
        role: RoleDefinition

        def apply_to(self, s: RoleBookState) -> None:
            s.roles = {**s.roles, self.role.name: self.role}
            s.retired = {k: v for k, v in s.retired.items() if k != self.role.name}

    class Updated(Event):
        role: RoleDefinition

        def apply_to(self, s: RoleBookState) -> None:
            s.roles = {**s.roles, self.role.name: self.role}

    class Deleted(Event):
        name: str
        reassign_to: str

        def apply_to(self, s: RoleBookState) -> None:
            s.roles = {k: v for k, v in s.roles.items() if k != self.name}
            s.retired = {**s.retired, self.name: self.reassign_to}

    class DefaultSet(Event):
        name: str

        def apply_to(self, s: RoleBookState) -> None:
            s.default_role = self.name

    # --- creation ------------------------------------------------------------------------------

    @classmethod
    def open(cls, organization_id: UUID | None, act: Act) -> RoleBook:
        """A new book: the environment's with the built-in roles, an organization's empty."""
        environment = organization_id is None
        return cls._create(
            cls.Opened,
            id=ids.role_book_uuid(organization_id),
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            organization_id=organization_id,
            roles=list(BUILT_IN_ROLES) if environment else [],
            default_role=DEFAULT_ROLE if environment else None,
        )

    # --- queries -------------------------------------------------------------------------------

    @property
    def scope(self) -> str:
        org = self.state.organization_id
        return "the environment" if org is None else f"organization {ids.encode(ids.ORG, org)}"

    def find(self, name: str) -> RoleDefinition | None:
        return self.state.roles.get(name)

    def get(self, name: str) -> RoleDefinition:
        role = self.find(name)
        if role is None:
            raise RoleNotFound(self.scope, name)
        return role

    def role_id(self, name: str) -> str:
        return ids.role_id(self.state.organization_id, name)

    def descendants(self, name: str) -> list[str]:
        """The roles of this book that extend ``name`` directly."""
        return sorted(r.name for r in self.state.roles.values() if r.extends == name)

    # --- commands ------------------------------------------------------------------------------

    def define(self, role: RoleDefinition, act: Act, environment: RoleBook | None = None) -> None:
        """Defines a new role; ``environment``: the environment's book, for an organization's."""
        if role.name in self.state.roles or (environment and environment.find(role.name)):
            raise RoleAlreadyExists(self.scope, role.name)
        self._check_parent(role, environment)
        self._record(self.Defined, act, role=role)

    def update(self, role: RoleDefinition, act: Act, environment: RoleBook | None = None) -> None:
        if self.get(role.name) == role:
            raise NothingChanged("role")
        self._check_parent(role, environment)
        self._record(self.Updated, act, role=role)

    def delete(
        self, name: str, reassign_to: str, act: Act, environment: RoleBook | None = None
    ) -> None:
        """Deletes a role; its holders are to hold ``reassign_to`` instead (a role this book
        sees). Refused for the default role and for a role others of this book extend."""
        self.get(name)
        if reassign_to == name or not self.sees(reassign_to, environment):
            raise InvalidField(
                "reassign_to", f"must name a defined role other than {name!r}; got {reassign_to!r}"
            )
        if self.state.default_role == name:
            raise DefaultRoleInUse(name)
        descendants = self.descendants(name)
        if descendants:
            raise RoleHasDescendants(name, descendants)
        self._record(self.Deleted, act, name=name, reassign_to=reassign_to)

    def set_default(self, name: str, act: Act, environment: RoleBook | None = None) -> None:
        if not self.sees(name, environment):
            raise RoleNotFound(self.scope, name)
        if self.state.default_role == name:
            raise NothingChanged("default_role")
        self._record(self.DefaultSet, act, name=name)

    def sees(self, name: str, environment: RoleBook | None) -> bool:
        """Whether ``name`` is a role of this book or of ``environment``'s."""
        return name in self.state.roles or bool(environment and environment.find(name))

    def _check_parent(self, role: RoleDefinition, environment: RoleBook | None) -> None:
        """Refuses an unknown parent, and a chain of ``extends`` that comes back to ``role``.
        An environment role's parents are environment roles; an organization role's are its
        organization's, then the environment's."""
        if role.extends is None:
            return
        if not self.sees(role.extends, environment):
            raise UnknownParentRole(role.name, role.extends)
        self.check_cycle(role, environment, "extends")

    def check_cycle(self, role: RoleDefinition, environment: RoleBook | None, field: str) -> None:
        """Refuses ``role`` if its chain of ``extends`` comes back to it (``field`` names
        where it was given; an import checks each recorded definition so)."""
        chain = [role.name]
        book: RoleBook | None = self
        current: str | None = role.extends
        while current is not None and book is not None:
            chain.append(current)
            if current == role.name and book is self:
                raise RoleInheritanceCycle(chain, field)
            found = book.find(current)
            if found is None and book is not environment and environment is not None:
                book = environment
                found = book.find(current)
            if found is None or len(chain) > len(self.state.roles) + 2 + _env_size(environment):
                return
            current = found.extends


def _env_size(environment: RoleBook | None) -> int:
    return 0 if environment is None else len(environment.state.roles)
