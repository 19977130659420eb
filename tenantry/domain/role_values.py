"""The rules of a role definition's fields: its name (the membership role-name rule), display
name, description, the role it extends and its permissions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from pydantic import BaseModel, ConfigDict

from tenantry.domain import text, values
from tenantry.domain.errors import InvalidField

DESCRIPTION_MAX: Final = 2000
PERMISSION_MAX: Final = 100
PERMISSIONS_MAX: Final = 100
_PERMISSION: Final = re.compile(r"[a-z][a-z0-9_-]*(?::[a-z*][a-z0-9_*-]*)+")
PERMISSION_RULE: Final = (
    f"permissions are 1-{PERMISSION_MAX} characters: a resource and one or more actions, "
    "lowercase, separated by ':' (e.g. users:read)"
)


class RoleDefinition(BaseModel):
    """One role as recorded: ``extends`` names the role whose permissions it inherits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    display_name: str
    description: str = ""
    extends: str | None = None
    permissions: list[str] = []


def role_name(value: str, field: str = "name") -> str:
    """One role name, under the rule of membership roles (``values.roles``)."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a role name (a string)")
    return values.roles([value], field, required=True)[0]


def parent(value: str | None, field: str = "extends") -> str | None:
    """The role extended: a role name, or ``None`` (``""`` too) for none."""
    return None if value is None or value == "" else role_name(value, field)


def role_display_name(value: str | None, name: str, field: str = "display_name") -> str:
    """A display name (the display-name rule); ``None`` means the role's name."""
    return name if value is None else values.display_name(value, field)


def description(value: str | None, field: str = "description") -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidField(field, f"must be text of at most {DESCRIPTION_MAX} characters")
    value = text.free_text(value, field).strip()
    if len(value) > DESCRIPTION_MAX:
        raise InvalidField(field, f"must be text of at most {DESCRIPTION_MAX} characters")
    return value


def permissions(value: Iterable[str] | None, field: str = "permissions") -> list[str]:
    """Permission strings such as ``users:read``; duplicates dropped, sorted."""
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidField(field, "must be a list of permissions")
    out: set[str] = set()
    for p in value:
        if not isinstance(p, str) or len(p) > PERMISSION_MAX or not _PERMISSION.fullmatch(p):
            raise InvalidField(field, PERMISSION_RULE)
        out.add(p)
    if len(out) > PERMISSIONS_MAX:
        raise InvalidField(field, f"must hold at most {PERMISSIONS_MAX} permissions")
    return sorted(out)
