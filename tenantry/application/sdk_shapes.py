"""The hosted SDKs' message-shaped arguments, read into tenantry's keyword arguments.

The hosted Python SDK updates an organization with
``update_organization(organization_id=…, organization=UpdateOrganization(display_name=…,
metadata=…))``. :func:`organization_update` reads such a message — the SDK's protobuf message
(only the fields it has set), any object with those attributes (a dataclass, a pydantic model:
attributes that are ``None`` are not given), or a mapping — so that code written against the
hosted SDK runs unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol, runtime_checkable

from tenantry.domain.errors import InvalidField

UPDATABLE: Final = ("display_name", "external_id", "metadata", "slug", "logo_url", "region_code")
"""The fields of an organization an ``UpdateOrganization`` may carry."""


@runtime_checkable
class UpdateOrganizationLike(Protocol):
    """An object shaped like the hosted SDK's ``UpdateOrganization`` message."""

    display_name: Any


def organization_update(message: object, given: Mapping[str, object]) -> dict[str, object]:
    """The fields ``message`` (``organization=``) sets, merged with ``given`` (the keyword
    arguments the caller set). Refuses with :class:`InvalidField` a message of another type, a
    field an organization update does not have, and a field set both ways."""
    fields = _fields_of(message)
    unknown = sorted(set(fields) - set(UPDATABLE))
    if unknown:
        raise InvalidField(
            f"organization.{unknown[0]}",
            f"is not a field of an organization update (one of {', '.join(UPDATABLE)})",
        )
    both = sorted(set(fields) & set(given))
    if both:
        raise InvalidField(both[0], "is given both as an argument and in organization")
    return {**given, **fields}


def _fields_of(message: object) -> dict[str, object]:
    if isinstance(message, Mapping):
        if not all(isinstance(k, str) for k in message):
            raise InvalidField("organization", "must have field names as keys")
        return dict(message)
    list_fields = getattr(message, "ListFields", None)
    if callable(list_fields):  # a protobuf message: the fields it has set, maps as dicts
        return {
            field.name: dict(value.items()) if hasattr(value, "items") else value
            for field, value in list_fields()
        }
    if isinstance(message, UpdateOrganizationLike):
        return {
            name: getattr(message, name)
            for name in UPDATABLE
            if getattr(message, name, None) is not None
        }
    raise InvalidField(
        "organization",
        "must be an UpdateOrganization (or a mapping of display_name, external_id, metadata, "
        "slug, logo_url, region_code)",
    )
