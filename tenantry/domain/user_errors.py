"""Errors of users as resources of their own (re-exported from :mod:`tenantry.errors`)."""

from __future__ import annotations

from tenantry.domain.errors import Conflict

__all__ = ["UserExternalIdTaken"]


class UserExternalIdTaken(Conflict):
    """Raised when another live user already has the external id."""

    code = "user_external_id_taken"

    def __init__(self, external_id: str) -> None:
        super().__init__(f"external_id {external_id!r} is already used by another user")
        self.external_id = external_id
