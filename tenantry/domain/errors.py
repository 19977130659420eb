"""Errors raised by tenantry.

One base error (:class:`TenantryError`), four kinds of refusal (:class:`InvalidArgument`,
:class:`NotFound`, :class:`Conflict`, :class:`FailedPrecondition`), two of access
(:class:`Unauthenticated`, :class:`PermissionDenied`, raised by the API surfaces) and concrete
errors with typed fields. Every error
carries a stable machine-readable ``code``; adapters translate the *kind* once, through one table,
into an HTTP status or a CLI exit code. No refusal records an event.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

__all__ = [
    "AlreadyMember",
    "ConcurrentModification",
    "Conflict",
    "ErrorKind",
    "ExternalIdTaken",
    "FailedPrecondition",
    "ImmutableField",
    "InvalidArgument",
    "InvalidField",
    "InvitationHasExpired",
    "InvitationNotPending",
    "InvitationWasRevoked",
    "MemberNotActive",
    "MemberNotInactive",
    "MembershipNotFound",
    "NotFound",
    "NothingChanged",
    "OrganizationAlreadyExists",
    "OrganizationNotFound",
    "PermissionDenied",
    "ProjectionBehind",
    "SeatLimitReached",
    "SlugTaken",
    "TenantryError",
    "Unauthenticated",
    "UnknownFeature",
    "UserNotFound",
    "VersionNotFound",
]


class ErrorKind(StrEnum):
    INVALID_ARGUMENT = "invalid_argument"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    FAILED_PRECONDITION = "failed_precondition"
    UNAUTHENTICATED = "unauthenticated"
    PERMISSION_DENIED = "permission_denied"


class TenantryError(Exception):
    """Raised for every refusal tenantry makes; never raised directly."""

    kind: ClassVar[ErrorKind]
    code: ClassVar[str] = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def details(self) -> dict[str, Any]:
        """The error's typed fields, JSON-friendly."""
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in vars(self).items()
            if k != "message" and not k.startswith("_")
        }


class InvalidArgument(TenantryError):
    """Raised when an argument breaks a rule of the domain."""

    kind = ErrorKind.INVALID_ARGUMENT
    code = "invalid_argument"


class NotFound(TenantryError):
    """Raised when the thing asked for does not exist (or no longer does)."""

    kind = ErrorKind.NOT_FOUND
    code = "not_found"


class Conflict(TenantryError):
    """Raised when a command collides with existing state or with a concurrent command."""

    kind = ErrorKind.CONFLICT
    code = "conflict"


class FailedPrecondition(TenantryError):
    """Raised when the current state does not allow the command."""

    kind = ErrorKind.FAILED_PRECONDITION
    code = "failed_precondition"


class Unauthenticated(TenantryError):
    """Raised when a caller brings no valid credentials (no token, a wrong secret, an expired or
    revoked token)."""

    kind = ErrorKind.UNAUTHENTICATED
    code = "unauthenticated"


class PermissionDenied(TenantryError):
    """Raised when an authenticated caller may not do what it asked."""

    kind = ErrorKind.PERMISSION_DENIED
    code = "permission_denied"


# --- invalid argument -------------------------------------------------------------------------


class InvalidField(InvalidArgument):
    """Raised when a field's value breaks its rule; names the field and the rule."""

    code = "invalid_field"

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class UnknownFeature(InvalidField):
    """Raised when a feature name is not one of the known features."""

    code = "unknown_feature"

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(
            "settings.features.name", f"must be one of {', '.join(known)}; got {name!r}"
        )
        self.name = name


class ImmutableField(InvalidField):
    """Raised when a command tries to change a field that is fixed at creation."""

    code = "immutable_field"

    def __init__(self, field: str) -> None:
        super().__init__(field, "is set at creation and cannot change")


# --- not found --------------------------------------------------------------------------------


class OrganizationNotFound(NotFound):
    """Raised when no live organization has the given id or external id."""

    code = "organization_not_found"

    def __init__(self, organization: str) -> None:
        super().__init__(f"organization {organization!r} not found")
        self.organization = organization


class MembershipNotFound(NotFound):
    """Raised when the user is not a member (nor invited) of the organization."""

    code = "membership_not_found"

    def __init__(self, organization_id: str, user: str) -> None:
        super().__init__(f"{user!r} is not a member of organization {organization_id!r}")
        self.organization_id = organization_id
        self.user = user


class UserNotFound(NotFound):
    """Raised when no user has the given id."""

    code = "user_not_found"

    def __init__(self, user_id: str) -> None:
        super().__init__(f"user {user_id!r} not found")
        self.user_id = user_id


class VersionNotFound(NotFound):
    """Raised when an organization's history has no such version or moment."""

    code = "version_not_found"

    def __init__(self, organization_id: str, at: str) -> None:
        super().__init__(f"organization {organization_id!r} did not exist at {at}")
        self.organization_id = organization_id
        self.at = at


# --- conflict ---------------------------------------------------------------------------------


class ExternalIdTaken(Conflict):
    """Raised when another live organization already has the external id."""

    code = "external_id_taken"

    def __init__(self, external_id: str) -> None:
        super().__init__(f"external_id {external_id!r} is already used by another organization")
        self.external_id = external_id


class SlugTaken(Conflict):
    """Raised when another live organization already has the slug."""

    code = "slug_taken"

    def __init__(self, slug: str) -> None:
        super().__init__(f"slug {slug!r} is already used by another organization")
        self.slug = slug


class AlreadyMember(Conflict):
    """Raised when inviting or adding someone who is already active or has a pending invite."""

    code = "already_member"

    def __init__(self, organization_id: str, email: str, status: str) -> None:
        super().__init__(f"{email!r} is already {status} in organization {organization_id!r}")
        self.organization_id = organization_id
        self.email = email
        self.status = status


class OrganizationAlreadyExists(Conflict):
    """Raised when importing an organization whose id the target database already holds."""

    code = "organization_already_exists"

    def __init__(self, organization_id: str) -> None:
        super().__init__(f"organization {organization_id!r} already exists in this database")
        self.organization_id = organization_id


class ConcurrentModification(Conflict):
    """Raised when a command kept losing races with concurrent commands and gave up."""

    code = "concurrent_modification"

    def __init__(self, attempts: int) -> None:
        super().__init__(f"gave up after {attempts} attempts lost to concurrent changes")
        self.attempts = attempts


# --- failed precondition ----------------------------------------------------------------------


class NothingChanged(FailedPrecondition):
    """Raised when a command would not change anything; nothing is recorded."""

    code = "nothing_changed"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} already has the requested value; nothing changed")
        self.what = what


class SeatLimitReached(FailedPrecondition):
    """Raised when an admission would take a seat beyond the organization's seat limit."""

    code = "seat_limit_reached"

    def __init__(self, organization_id: str, limit: int, in_use: int) -> None:
        super().__init__(
            f"organization {organization_id!r} has {in_use} of {limit} seats in use; "
            "no seat is free"
        )
        self.organization_id = organization_id
        self.limit = limit
        self.in_use = in_use


class InvitationNotPending(FailedPrecondition):
    """Raised when an invitation is accepted, resent or revoked but is not pending."""

    code = "invitation_not_pending"

    def __init__(self, email: str, status: str) -> None:
        super().__init__(f"the invitation of {email!r} is {status}, not pending")
        self.email = email
        self.status = status


class InvitationHasExpired(FailedPrecondition):
    """Raised when accepting an invitation whose expiry time has passed."""

    code = "invitation_expired"

    def __init__(self, email: str, expired_at: datetime) -> None:
        super().__init__(
            f"the invitation of {email!r} expired at {expired_at.isoformat()}; "
            "ask for a new invitation"
        )
        self.email = email
        self.expired_at = expired_at


class InvitationWasRevoked(FailedPrecondition):
    """Raised when accepting an invitation that an admin revoked."""

    code = "invitation_revoked"

    def __init__(self, email: str) -> None:
        super().__init__(f"the invitation of {email!r} was revoked")
        self.email = email


class MemberNotActive(FailedPrecondition):
    """Raised when a command needs an active member (e.g. deactivation) and it is not."""

    code = "member_not_active"

    def __init__(self, email: str, status: str) -> None:
        super().__init__(f"{email!r} is {status}, not active")
        self.email = email
        self.status = status


class MemberNotInactive(FailedPrecondition):
    """Raised when reactivating a member that is not inactive."""

    code = "member_not_inactive"

    def __init__(self, email: str, status: str) -> None:
        super().__init__(f"{email!r} is {status}, not inactive")
        self.email = email
        self.status = status


class ProjectionBehind(FailedPrecondition):
    """Raised when a read-your-writes query times out waiting for a projection to reach a
    position of the log."""

    code = "projection_behind"

    def __init__(self, projection: str, position: int, reached: int, timeout: float) -> None:
        super().__init__(
            f"projection {projection!r} reached log position {reached}, not {position}, "
            f"within {timeout:g} s; run `tenantry projections follow` or retry"
        )
        self.projection = projection
        self.position = position
        self.reached = reached
        self.timeout = timeout


class ProjectionFailed(FailedPrecondition):
    """Raised when a read needs a projection that stopped at an event it could not apply
    (``tenantry projections status`` shows it; a catch-up resumes it once the cause is fixed)."""

    code = "projection_failed"

    def __init__(self, projection: str, failure: object | None) -> None:
        position = getattr(failure, "position", None)
        at = f" at log position {position}" if position is not None else ""
        super().__init__(
            f"projection {projection!r} stopped{at} on an event it could not apply; see "
            "`tenantry projections status`, fix the cause, then `tenantry projections catch-up`"
        )
        self.projection = projection
        self.position = position
