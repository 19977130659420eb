"""Errors of restoring a deleted organization (:meth:`Organization.restore`) and of purging it
after its restore period."""

from __future__ import annotations

from datetime import datetime

from tenantry.domain.errors import Conflict, FailedPrecondition

__all__ = ["OrganizationNotDeleted", "PurgeNotDue", "RestoreKeyTaken", "RestorePeriodOver"]


class OrganizationNotDeleted(FailedPrecondition):
    """Raised when restoring (or purging) an organization that is live."""

    code = "organization_not_deleted"

    def __init__(self, organization_id: str) -> None:
        super().__init__(f"organization {organization_id!r} is not deleted; nothing to restore")
        self.organization_id = organization_id


class _RestorePeriodError(FailedPrecondition):
    """A refusal that depends on whether the restore period is over."""

    def __init__(
        self, message: str, organization_id: str, deleted_at: datetime, purge_at: datetime
    ) -> None:
        super().__init__(message)
        self.organization_id = organization_id
        self.deleted_at = deleted_at
        self.purge_at = purge_at


class RestorePeriodOver(_RestorePeriodError):
    """Raised when restoring a deleted organization after its restore period (it is purged)."""

    code = "restore_period_over"

    def __init__(self, organization_id: str, deleted_at: datetime, purge_at: datetime) -> None:
        super().__init__(
            f"organization {organization_id!r} was deleted at {deleted_at.isoformat()} and could "
            f"be restored until {purge_at.isoformat()}; it is purged and cannot be restored",
            organization_id,
            deleted_at,
            purge_at,
        )


class PurgeNotDue(_RestorePeriodError):
    """Raised when purging a deleted organization whose restore period is not over yet."""

    code = "purge_not_due"

    def __init__(self, organization_id: str, deleted_at: datetime, purge_at: datetime) -> None:
        super().__init__(
            f"organization {organization_id!r} can be restored until {purge_at.isoformat()}; "
            "it cannot be purged before",
            organization_id,
            deleted_at,
            purge_at,
        )


class RestoreKeyTaken(Conflict):
    """Raised when restoring an organization whose external id or slug another live
    organization took after the deletion."""

    code = "restore_key_taken"

    def __init__(self, organization_id: str, field: str, key: str) -> None:
        super().__init__(
            f"organization {organization_id!r} cannot get its {field} {key!r} back: another "
            f"organization uses it now; restore with release_taken_keys to restore it without "
            f"its {field}"
        )
        self.organization_id = organization_id
        self.field = field
        self.key = key
