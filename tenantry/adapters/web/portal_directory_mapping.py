"""The group → role form of a directory's page, as pure functions: the rows a form posted, the
mapping they make, a refusal placed next to the row it is about, and the roles a group may grant."""

from __future__ import annotations

from typing import Final

from starlette.datastructures import FormData

from tenantry.adapters.web.csrf import text_of
from tenantry.application.app import Tenantry
from tenantry.application.directory_dto import Directory
from tenantry.domain.errors import InvalidField, TenantryError

NEW_ROWS: Final = 3
"""Empty rows the mapping form offers beside the groups already mapped."""
MAX_ROWS: Final = 110
_MAPPED: Final = "mapping.group_roles."


def rows_of(form: FormData) -> list[tuple[str, str]]:
    """The form's filled ``(group, role)`` rows, in order (``group_0``, ``role_0``, …)."""
    rows = []
    for i in range(MAX_ROWS):
        if f"group_{i}" not in form and f"role_{i}" not in form:
            break
        row = ((text_of(form, f"group_{i}") or "").strip(), text_of(form, f"role_{i}") or "")
        if row != ("", ""):
            rows.append(row)
    return rows


def group_roles_of(rows: list[tuple[str, str]]) -> dict[str, str]:
    """The mapping the rows make; a half-filled row is refused naming its empty field."""
    out: dict[str, str] = {}
    for i, (group, role) in enumerate(rows):
        if not group:
            raise InvalidField(f"group_{i}", "name the group that grants this role")
        if not role:
            raise InvalidField(f"role_{i}", "choose the role this group grants")
        out[group] = role
    return out


def row_errors(error: TenantryError, rows: list[tuple[str, str]]) -> dict[str, str]:
    """The refusal next to the row it is about: a row's own field, the group a field names
    (``mapping.group_roles.<group>``), or the role the error names; else above the rows."""
    field = getattr(error, "field", None)
    if not isinstance(field, str):
        return {"group_roles": error.message}
    rule = str(getattr(error, "rule", error.message))
    if field.startswith(("group_", "role_")):
        return {field: rule}
    group = field.removeprefix(_MAPPED) if field.startswith(_MAPPED) else None
    role = getattr(error, "name", None)
    for i, (name, granted) in enumerate(rows):
        if name == group or (role is not None and granted == role):
            return {f"role_{i}": rule}
    return {"group_roles": rule}


def role_choices(t: Tenantry, organization_id: str, mapped: list[tuple[str, str]]) -> list[str]:
    """The roles a group may grant: the environment's and the organization's, and any role
    mapped already (a free label, before any role was defined)."""
    names = {r.name for r in t.list_roles()} | {
        r.name for r in t.list_organization_roles(organization_id)
    }
    return sorted(names | {role for _, role in mapped if role})


def role_of(directory: Directory, group: str) -> str | None:
    """The role the directory's mapping gives a group (names match regardless of case)."""
    wanted = group.casefold()
    found = (r for g, r in directory.mapping.group_roles.items() if g.casefold() == wanted)
    return next(found, None)
