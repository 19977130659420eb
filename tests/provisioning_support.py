"""Test support for SCIM provisioning: an organization with an active directory, and SCIM user
documents as a directory sends them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantry.application.app import Tenantry


def active_directory(
    app: Tenantry,
    *,
    seats: int | None = None,
    mapping: Mapping[str, Any] | None = None,
    name: str = "Acme",
) -> tuple[str, str]:
    """A new organization with ``dir_sync`` on and an enabled directory: ``(org_id, dir_id)``."""
    org_id = app.create_organization(name).id
    app.update_organization_settings(org_id, [("dir_sync", True)])
    if seats is not None:
        app.upsert_user_management_settings(org_id, seats)
    directory_id = app.create_directory(org_id, "OKTA").id
    if mapping is not None:
        app.update_directory(org_id, directory_id, mapping=dict(mapping))
    app.enable_directory(org_id, directory_id)
    return org_id, directory_id


def scim_user(
    email: str,
    *,
    active: bool = True,
    given: str | None = "Ada",
    family: str | None = "Lovelace",
    external_id: str | None = None,
    user_name: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A SCIM user document whose ``userName`` is ``email`` (unless given)."""
    doc: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name or email,
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": active,
        **extra,
    }
    names = {k: v for k, v in (("givenName", given), ("familyName", family)) if v}
    if names:
        doc["name"] = names
    if external_id is not None:
        doc["externalId"] = external_id
    return doc


def scim_group(display_name: str, members: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": display_name,
        "members": [{"value": m} for m in members],
        **extra,
    }
