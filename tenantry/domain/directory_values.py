"""Value rules of SCIM directories: the provider label, the mapping from a SCIM user's
attributes to the tenantry user and membership (e-mail, names, membership metadata, group →
role), the sources a mapping may name, and reading a source from a SCIM document.

A *source* names one value of a SCIM user document (RFC 7643 §4.1, and the enterprise extension
of §4.3 under ``enterprise.``): ``userName``, ``name.givenName``, ``emails.primary`` (the e-mail
marked primary), ``emails.work`` (the e-mail of type ``work``), ``enterprise.department``, ….
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from tenantry.domain import text, values
from tenantry.domain.errors import InvalidField

ENTERPRISE_SCHEMA: Final = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
AUTO: Final = "auto"
EMAIL_SOURCES: Final = (AUTO, "userName", "emails.primary", "emails.work")
"""Where a user's e-mail (the key of the tenantry user) may come from."""
SOURCES: Final[frozenset[str]] = frozenset(
    {
        "userName",
        "emails.primary",
        "emails.work",
        "name.givenName",
        "name.familyName",
        "displayName",
        "externalId",
        "title",
        "enterprise.department",
        "enterprise.employeeNumber",
        "enterprise.costCenter",
        "enterprise.organization",
        "enterprise.division",
        "enterprise.manager",
    }
)
"""Every source a mapping may name."""
GROUP_NAME_MAX: Final = 255
MAPPING_KEYS: Final = ("email", "given_name", "family_name", "metadata", "group_roles")
MAPPED_GROUPS_MAX: Final = 100


class DirectoryProvider(StrEnum):
    """The directory that pushes users and groups (a label). Spelt as the hosted API spells
    them."""

    OKTA = "OKTA"
    MICROSOFT_ENTRA_ID = "MICROSOFT_ENTRA_ID"
    GOOGLE = "GOOGLE"
    JUMPCLOUD = "JUMPCLOUD"
    ONELOGIN = "ONELOGIN"
    CUSTOM = "CUSTOM"


PROVIDER_ALIASES: Final = {
    "AZURE_AD": DirectoryProvider.MICROSOFT_ENTRA_ID,
    "ENTRA_ID": DirectoryProvider.MICROSOFT_ENTRA_ID,
    "MICROSOFT_AD": DirectoryProvider.MICROSOFT_ENTRA_ID,
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DirectoryMapping(_Frozen):
    """How a SCIM user becomes a tenantry user and membership. ``email``: ``auto`` or an
    e-mail source (see :func:`email_of`); ``given_name``/``family_name``: the source of the
    user's names (``None``: not taken from the directory); ``metadata``: membership metadata
    key → source; ``group_roles``: group ``displayName`` (matched case-insensitively) → role."""

    email: str = AUTO
    given_name: str | None = "name.givenName"
    family_name: str | None = "name.familyName"
    metadata: dict[str, str] = {}
    group_roles: dict[str, str] = {}

    def role_of(self, group_name: str) -> str | None:
        """The role a group of this display name grants (case-insensitive), if any."""
        wanted = group_name.casefold()
        for group, role in self.group_roles.items():
            if group.casefold() == wanted:
                return role
        return None


def directory_provider(value: str, field: str = "provider") -> DirectoryProvider:
    name = str(value).upper()
    try:
        return PROVIDER_ALIASES.get(name) or DirectoryProvider(name)
    except ValueError:
        raise InvalidField(field, f"must be one of {', '.join(DirectoryProvider)}") from None


def directory_name(value: str | None, field: str = "name") -> str | None:
    """A directory's display name; ``None`` or an empty string: no name."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return values.display_name(value, field)


def source(value: object, field: str) -> str:
    """One of :data:`SOURCES`."""
    if not isinstance(value, str) or value not in SOURCES:
        raise InvalidField(field, f"must be one of {', '.join(sorted(SOURCES))}")
    return value


def directory_mapping(given: Mapping[str, Any], current: DirectoryMapping) -> DirectoryMapping:
    """``current`` with each key of ``given`` replaced by its checked value (a key left out
    keeps its value; ``metadata`` and ``group_roles`` are replaced whole)."""
    if not isinstance(given, Mapping):
        raise InvalidField("mapping", "must be a mapping of settings")
    unknown = sorted(str(k) for k in given if k not in MAPPING_KEYS)
    if unknown:
        raise InvalidField(
            "mapping", f"unknown key {unknown[0]!r}; known: {', '.join(MAPPING_KEYS)}"
        )
    update: dict[str, Any] = {}
    if "email" in given:
        email = given["email"]
        if email not in EMAIL_SOURCES:
            raise InvalidField("mapping.email", f"must be one of {', '.join(EMAIL_SOURCES)}")
        update["email"] = email
    for name in ("given_name", "family_name"):
        if name in given:
            update[name] = None if given[name] is None else source(given[name], f"mapping.{name}")
    if "metadata" in given:
        update["metadata"] = _metadata(given["metadata"])
    if "group_roles" in given:
        update["group_roles"] = _group_roles(given["group_roles"])
    return current.model_copy(update=update)


def _metadata(given: object) -> dict[str, str]:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise InvalidField("mapping.metadata", "must be a map of metadata keys to sources")
    checked = values.metadata(given, "mapping.metadata")
    return {k: source(v, f"mapping.metadata.{k}") for k, v in checked.items()}


def _group_roles(given: object) -> dict[str, str]:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise InvalidField("mapping.group_roles", "must be a map of group names to role names")
    if len(given) > MAPPED_GROUPS_MAX:
        raise InvalidField("mapping.group_roles", f"must map at most {MAPPED_GROUPS_MAX} groups")
    out: dict[str, str] = {}
    seen: set[str] = set()
    for group, role in given.items():
        if not isinstance(group, str):
            raise InvalidField("mapping.group_roles", "group names must be strings")
        name = text.name(group, "mapping.group_roles").strip()
        if not 1 <= len(name) <= GROUP_NAME_MAX:
            raise InvalidField(
                "mapping.group_roles", f"group names are 1-{GROUP_NAME_MAX} characters"
            )
        if name.casefold() in seen:
            raise InvalidField(
                "mapping.group_roles", f"group {name!r} is named twice (names are case-insensitive)"
            )
        seen.add(name.casefold())
        field = f"mapping.group_roles.{name}"
        if not isinstance(role, str):
            raise InvalidField(field, "must be a role name")
        out[name] = values.roles([role], field, required=True)[0]
    return out


def _emails(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = document.get("emails")
    if not isinstance(found, list):
        return []
    return [e for e in found if isinstance(e, Mapping)]


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    return None


def source_value(document: Mapping[str, Any], source: str) -> str | None:
    """The value ``source`` names in a SCIM user ``document``; ``None`` if it has none (or it is
    not a non-empty string). ``enterprise.manager`` is the manager's ``value`` (its id)."""
    if source == "emails.primary":
        return next(
            (_text(e.get("value")) for e in _emails(document) if _truthy(e.get("primary"))), None
        )
    if source == "emails.work":
        found = (e for e in _emails(document) if str(e.get("type", "")).lower() == "work")
        return next((_text(e.get("value")) for e in found), None)
    head, _, attribute = source.partition(".")
    if head == "enterprise":
        extension = document.get(ENTERPRISE_SCHEMA)
        value = extension.get(attribute) if isinstance(extension, Mapping) else None
        if attribute == "manager":
            value = value.get("value") if isinstance(value, Mapping) else None
        return _text(value)
    if head == "name" and attribute:
        name = document.get("name")
        return _text(name.get(attribute)) if isinstance(name, Mapping) else None
    return _text(document.get(source))


def email_of(document: Mapping[str, Any], mapping: DirectoryMapping) -> str:
    """The e-mail of a SCIM user as the mapping takes it (not yet normalised: the caller checks
    it with :func:`tenantry.domain.values.email`). ``auto``: ``userName`` when it is an
    e-mail address, else the primary e-mail, else the work e-mail."""
    if mapping.email != AUTO:
        found = source_value(document, mapping.email)
        if found is None:
            raise InvalidField(
                mapping.email,
                "must be an e-mail address (the directory's mapping takes the e-mail from it)",
            )
        return found
    user_name = source_value(document, "userName")
    if user_name is not None and _is_address(user_name):
        return user_name
    for fallback in ("emails.primary", "emails.work"):
        found = source_value(document, fallback)
        if found is not None:
            return found
    raise InvalidField(
        "userName", "must be an e-mail address, or the user must have a primary or work e-mail"
    )


def _is_address(value: str) -> bool:
    try:
        values.email(value, "userName")
    except InvalidField:
        return False
    return True
