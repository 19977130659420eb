"""The checks an import applies to an organization's role book (its :class:`RoleBook` events).

An exported book is text anyone may have edited: each definition must pass the role rules
(:mod:`tenantry.domain.role_values`) in the form they give it, the book must be the exported
organization's and open empty, and each definition it records is checked as a command checks it:
no chain of ``extends`` that comes back to it. Once replayed, every role it defines must extend a
role the book or the **target** environment defines, and its default role must be one of those:
an organization role extending an environment role the target lacks is refused
(:class:`UnknownParentRole`, naming the role, its parent and the event that defined it), so that
no imported member shows a role without its permissions; define that role in the target first.
A role a member holds must likewise be defined by the book or the target environment, once roles
are defined there (:class:`UndefinedRole`, naming the membership event that gave it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final
from uuid import UUID

from pydantic import ValidationError

from tenantry.application.transfer_rules import RULES, Rule
from tenantry.domain import role_values, values
from tenantry.domain.errors import InvalidField
from tenantry.domain.role_errors import UndefinedRole, UnknownParentRole
from tenantry.domain.role_scope import RoleScope
from tenantry.domain.role_values import RoleDefinition
from tenantry.domain.roles import RoleBook


def _definition(value: Any, field: str) -> object:
    """A role definition in the form the role rules give it."""
    if not isinstance(value, Mapping):
        raise InvalidField(field, "must be a role definition")
    try:
        given = RoleDefinition.model_validate(value)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InvalidField(f"{field}.{where}" if where else field, err["msg"]) from None
    name = role_values.role_name(given.name, f"{field}.name")
    role = RoleDefinition(
        name=name,
        display_name=values.display_name(given.display_name, f"{field}.display_name"),
        description=role_values.description(given.description, f"{field}.description"),
        extends=role_values.parent(given.extends, f"{field}.extends"),
        permissions=role_values.permissions(given.permissions, f"{field}.permissions"),
    )
    return role.model_dump(mode="json")


def _definitions(value: Any, field: str) -> object:
    if not isinstance(value, list):
        raise InvalidField(field, "must be a list of role definitions")
    return [_definition(v, f"{field}.{i}") for i, v in enumerate(value)]


def _reassign_to(value: Any, field: str) -> object:
    return role_values.role_name(value, field)


def _default_role(value: Any, field: str) -> object:
    return None if value is None else role_values.role_name(value, field)


ROLE_BOOK_RULES: Final[dict[str, Rule]] = {
    "actor": RULES["actor"],
    "reason": RULES["reason"],
    "role": _definition,
    "roles": _definitions,
    "name": role_values.role_name,
    "reassign_to": _reassign_to,
    "default_role": _default_role,
}
"""The value rule of each role-book event field."""


def replay_role_book(
    events: Iterable[tuple[str, RoleBook.Event]], organization: UUID, environment: RoleBook
) -> RoleBook:
    """Replays an organization's exported book (each event with the name of where it is),
    checked against the target's ``environment`` book; refuses a book that breaks its rules."""
    book: RoleBook | None = None
    defined_at: dict[str, str] = {}
    default_at = ""
    for where, event in events:
        if isinstance(event, RoleBook.Opened):
            if event.organization_id != organization:
                raise InvalidField(f"{where}.organization_id", "must be the exported organization")
            if event.roles or event.default_role is not None:
                raise InvalidField(where, "an organization's role book opens empty")
        elif book is None:  # pragma: no cover - replay refuses a stream without its start
            raise InvalidField(where, "the role book's history does not start")
        elif isinstance(event, RoleBook.Defined | RoleBook.Updated):
            _check_definition(book, event, environment, where)
            defined_at[event.role.name] = where
        elif isinstance(event, RoleBook.Deleted):
            if book.find(event.name) is None:
                raise InvalidField(f"{where}.name", f"role {event.name!r} is not defined")
            if event.reassign_to == event.name:
                raise InvalidField(f"{where}.reassign_to", "must name another role")
            if not book.sees(event.reassign_to, environment):
                raise InvalidField(f"{where}.reassign_to", _undefined(event.reassign_to))
        elif isinstance(event, RoleBook.DefaultSet):
            default_at = where
        book = event.mutate(book)
    if book is None:  # pragma: no cover - an exported stream has at least one event
        raise InvalidField("export", "the role book's history does not start")
    for role in book.state.roles.values():
        if role.extends is not None and not book.sees(role.extends, environment):
            field = f"{defined_at[role.name]}.role.extends"
            raise UnknownParentRole(role.name, role.extends, field)
    default = book.state.default_role
    if default is not None and not book.sees(default, environment):
        raise InvalidField(f"{default_at}.name", _undefined(default))
    return book


def _undefined(name: str) -> str:
    return f"role {name!r} is defined neither by the organization nor in this environment"


def _check_definition(
    book: RoleBook, event: RoleBook.Defined | RoleBook.Updated, env: RoleBook, where: str
) -> None:
    known = book.find(event.role.name) is not None
    if isinstance(event, RoleBook.Defined) and known:
        raise InvalidField(f"{where}.role.name", f"role {event.role.name!r} is already defined")
    if isinstance(event, RoleBook.Updated) and not known:
        raise InvalidField(f"{where}.role.name", f"role {event.role.name!r} is not defined")
    book.check_cycle(event.role, env, f"{where}.role.extends")


def check_held_roles(held: Mapping[str, list[str]], scope: RoleScope) -> None:
    """Refuses, once roles are enforced, a role a member holds (``held``: the field of the event
    that last gave a live membership its roles → those roles) that neither the imported book
    nor the target environment defines: it would show without definition or permissions.
    A deleted role reads as its replacement, as it does for the member."""
    if not scope.enforced:
        return
    for field, names in held.items():
        for name in names:
            if scope.lookup(scope.replacement(name)) is None:
                raise UndefinedRole(field, name)
