"""What provisioning answers: a SCIM resource as stored (:class:`ScimRecord`, for the SCIM
endpoint) and a directory's users and groups as the management API lists them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from tenantry.domain.scim_documents import ScimKind

__all__ = [
    "DirectoryGroupSummary",
    "DirectoryGroupsPage",
    "DirectoryUserSummary",
    "DirectoryUsersPage",
    "ScimKind",
    "ScimRecord",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScimRecord(_Frozen):
    """A SCIM user or group as stored: ``document`` is the JSON the directory sent (no ``id``,
    no ``meta``; a group's ``members`` as ``[{"value": "dus_…"}]``); ``version`` is the
    aggregate's, the resource's ETag ``W/"<version>"``."""

    id: str
    kind: ScimKind
    document: dict[str, Any]
    created: datetime
    last_modified: datetime
    version: int


class GroupRef(_Frozen):
    id: str
    display_name: str


class DirectoryUserSummary(_Frozen):
    """A directory's user as the management API shows it."""

    id: str
    directory_id: str
    user_id: str
    email: str
    user_name: str
    external_id: str | None
    given_name: str | None
    family_name: str | None
    active: bool
    groups: list[GroupRef]
    create_time: datetime
    update_time: datetime


class DirectoryGroupSummary(_Frozen):
    """A directory's group as the management API shows it."""

    id: str
    directory_id: str
    display_name: str
    external_id: str | None
    total_users: int
    create_time: datetime
    update_time: datetime


class DirectoryUsersPage(_Frozen):
    users: list[DirectoryUserSummary]
    next_page_token: str
    total_size: int


class DirectoryGroupsPage(_Frozen):
    groups: list[DirectoryGroupSummary]
    next_page_token: str
    total_size: int
