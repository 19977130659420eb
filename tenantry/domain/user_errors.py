"""Errors of users as resources of their own (re-exported from :mod:`tenantry.errors`)."""

from __future__ import annotations

from tenantry.domain.errors import Conflict, FailedPrecondition, NotFound

__all__ = ["LastMemberRole", "MemberRoleNotHeld", "UserExternalIdTaken"]


class UserExternalIdTaken(Conflict):
    """Raised when another live user already has the external id."""

    code = "user_external_id_taken"

    def __init__(self, external_id: str) -> None:
        super().__init__(f"external_id {external_id!r} is already used by another user")
        self.external_id = external_id


class MemberRoleNotHeld(NotFound):
    """Raised when a role to take from a member is not one of the member's roles."""

    code = "member_role_not_held"

    def __init__(self, role: str) -> None:
        super().__init__(f"the member does not hold the role {role!r}")
        self.role = role


class LastMemberRole(FailedPrecondition):
    """Raised when taking a member's only role: a member keeps at least one (change the roles
    together, or remove the member)."""

    code = "last_member_role"

    def __init__(self, role: str) -> None:
        super().__init__(f"{role!r} is the member's only role: a member keeps at least one role")
        self.role = role
