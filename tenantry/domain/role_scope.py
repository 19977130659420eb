"""The roles one organization sees: its own role book's and the environment's, read together.

This is what an admission and a role change ask (:meth:`RoleScope.for_newcomer`,
:meth:`RoleScope.check`) and what a membership's effective permissions are computed from
(:meth:`RoleScope.closure`).

Until any role is defined (neither the environment nor the organization has a stored book),
role names stay free labels, as they were before role definitions existed; once either is
stored, every role a membership is given must be defined.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tenantry.domain.role_errors import UndefinedRole
from tenantry.domain.role_values import RoleDefinition
from tenantry.domain.roles import DEFAULT_ROLE, RoleBook


@dataclass(frozen=True, slots=True)
class ResolvedRole:
    """A role a member holds, with the public id of its definition."""

    id: str
    definition: RoleDefinition


@dataclass(frozen=True, slots=True)
class RoleScope:
    """The environment's book and, for an organization, its own book (``None``: none yet).
    ``enforced``: some role is defined, so membership roles must be defined ones."""

    environment: RoleBook
    organization: RoleBook | None
    enforced: bool

    def lookup(self, name: str) -> tuple[RoleBook, RoleDefinition] | None:
        """The book defining ``name`` as this organization sees it (its own first)."""
        for book in (self.organization, self.environment):
            if book is not None:
                found = book.find(name)
                if found is not None:
                    return book, found
        return None

    def replacement(self, name: str) -> str:
        """``name``, or, if it was deleted, the role its holders were moved to."""
        seen = {name}
        while self.lookup(name) is None:
            moved = None
            for book in (self.organization, self.environment):
                if book is not None and name in book.state.retired:
                    moved = book.state.retired[name]
                    break
            if moved is None or moved in seen:
                return name
            seen.add(moved)
            name = moved
        return name

    def default_role(self) -> str:
        org = self.organization
        if org is not None and org.state.default_role is not None:
            return org.state.default_role
        return self.environment.state.default_role or DEFAULT_ROLE

    def check(self, roles: list[str], field: str = "roles") -> list[str]:
        """``roles`` (valid names), refusing any that is not defined once roles are enforced."""
        if self.enforced:
            for name in roles:
                if self.lookup(name) is None:
                    raise UndefinedRole(field, name)
        return roles

    def for_newcomer(self, requested: list[str] | None, field: str = "roles") -> list[str]:
        """The roles of a new member: those requested (each defined, once roles are
        enforced), or the default role."""
        if requested is None:
            return [self.default_role()]
        return self.check(requested, field)

    def resolve(self, names: Iterable[str]) -> list[ResolvedRole]:
        """The roles named (deleted ones read as their replacement), each once; a free label
        (no definition) reads as a role whose display name is its name."""
        out: dict[str, ResolvedRole] = {}
        for given in names:
            name = self.replacement(given)
            found = self.lookup(name)
            if found is None:
                role = ResolvedRole(
                    self.environment.role_id(name), RoleDefinition(name=name, display_name=name)
                )
            else:
                role = ResolvedRole(found[0].role_id(name), found[1])
            out.setdefault(name, role)
        return [out[k] for k in sorted(out)]

    def closure(self, names: Iterable[str]) -> list[str]:
        """The effective permissions of the roles named: theirs and those of every role they
        extend, transitively (an environment role extends environment roles only)."""
        permissions: set[str] = set()
        for given in names:
            found = self.lookup(self.replacement(given))
            seen: set[tuple[int, str]] = set()
            while found is not None:
                book, role = found
                key = (id(book), role.name)
                if key in seen:
                    break
                seen.add(key)
                permissions.update(role.permissions)
                if role.extends is None:
                    break
                found = self._parent(book, role.extends)
        return sorted(permissions)

    def _parent(self, book: RoleBook, name: str) -> tuple[RoleBook, RoleDefinition] | None:
        if book is self.environment:
            found = self.environment.find(name)
            return None if found is None else (self.environment, found)
        return self.lookup(name)
