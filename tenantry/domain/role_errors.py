"""Errors of role definitions (:mod:`tenantry.domain.roles`), re-exported by
:mod:`tenantry.errors`."""

from __future__ import annotations

from tenantry.domain.errors import Conflict, FailedPrecondition, InvalidField, NotFound

__all__ = [
    "DefaultRoleInUse",
    "RoleAlreadyExists",
    "RoleHasDescendants",
    "RoleInheritanceCycle",
    "RoleNotFound",
    "UndefinedRole",
    "UnknownParentRole",
]


class RoleNotFound(NotFound):
    """Raised when no role of that name is defined where it is looked up."""

    code = "role_not_found"

    def __init__(self, scope: str, name: str) -> None:
        super().__init__(f"role {name!r} is not defined in {scope}")
        self.scope = scope
        self.name = name


class RoleAlreadyExists(Conflict):
    """Raised when a role is created under a name its scope (or the environment) defines."""

    code = "role_already_exists"

    def __init__(self, scope: str, name: str) -> None:
        super().__init__(f"role {name!r} is already defined in {scope}")
        self.scope = scope
        self.name = name


class UnknownParentRole(InvalidField):
    """Raised when a role would extend a role that is not defined where it is visible."""

    code = "unknown_parent_role"

    def __init__(self, name: str, parent: str, field: str = "extends") -> None:
        super().__init__(field, f"role {parent!r} (extended by {name!r}) is not defined")
        self.name = name
        self.parent = parent


class RoleInheritanceCycle(InvalidField):
    """Raised when a role would extend itself, directly or through other roles."""

    code = "role_inheritance_cycle"

    def __init__(self, cycle: list[str], field: str = "extends") -> None:
        super().__init__(field, f"would make a cycle: {' -> '.join(cycle)}")
        self.cycle = cycle


class UndefinedRole(InvalidField):
    """Raised when a membership would hold a role that is not defined for its organization."""

    code = "undefined_role"

    def __init__(self, field: str, name: str) -> None:
        super().__init__(field, f"role {name!r} is not defined")
        self.name = name


class RoleHasDescendants(FailedPrecondition):
    """Raised when a role is deleted while other roles of its scope extend it."""

    code = "role_has_descendants"

    def __init__(self, name: str, descendants: list[str]) -> None:
        super().__init__(f"role {name!r} is extended by {', '.join(descendants)}; change them")
        self.name = name
        self.descendants = descendants


class DefaultRoleInUse(FailedPrecondition):
    """Raised when the default role of new members is deleted; set another default first."""

    code = "default_role_in_use"

    def __init__(self, name: str) -> None:
        super().__init__(f"role {name!r} is the default role of new members; set another first")
        self.name = name
