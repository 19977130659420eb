"""Deletion's retention: an organization deleted less than its restore period ago can be
restored (with its members and settings); after that period a purge is recorded and it stays
deleted for good. The application decides which natural keys it gets back (they are key claims,
:mod:`tenantry.domain.key_claim`).

:class:`Retention` is a part of :class:`~tenantry.domain.organization.Organization`, which
defines the ``Restored`` and ``Purged`` events (their stored topics name the organization).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tenantry.domain.errors import NothingChanged
from tenantry.domain.restore_errors import OrganizationNotDeleted, PurgeNotDue, RestorePeriodOver

if TYPE_CHECKING:
    from tenantry.domain.organization import Organization, OrganizationState


class Retention:
    """The restore and purge commands of :class:`~tenantry.domain.organization.Organization`."""

    if TYPE_CHECKING:  # what the organization provides
        state: OrganizationState

        @property
        def created_on(self) -> datetime: ...
        @property
        def modified_on(self) -> datetime: ...
        @property
        def public_id(self) -> str: ...

        Restored: type[Organization.Restored]
        Purged: type[Organization.Purged]

        def _trigger(
            self, event_class: type[Any], now: datetime, actor: str, **kwargs: Any
        ) -> None: ...

    @property
    def deleted_at(self) -> datetime | None:
        """When it was deleted (``None``: it is live)."""
        if not self.state.deleted:
            return None
        # A snapshot taken before deletion times were kept has none: a deleted organization
        # recorded nothing after its deletion then.
        return self.state.deleted_at or self.modified_on

    def purge_at(self, restore_period: timedelta) -> datetime | None:
        """Until when it can be restored (``None``: it is live)."""
        deleted_at = self.deleted_at
        return None if deleted_at is None else deleted_at + restore_period

    def check_restorable(self, now: datetime, restore_period: timedelta) -> None:
        """Refuses a restore of a live organization (:class:`OrganizationNotDeleted`) or of one
        past its restore period (:class:`RestorePeriodOver`)."""
        deleted_at, purge_at = self.deleted_at, self.purge_at(restore_period)
        if deleted_at is None or purge_at is None:
            raise OrganizationNotDeleted(self.public_id)
        if self.state.purged or now >= purge_at:
            raise RestorePeriodOver(self.public_id, deleted_at, purge_at)

    def restore(
        self,
        *,
        external_id: str | None,
        slug: str | None,
        restore_period: timedelta,
        now: datetime,
        actor: str,
        reason: str | None,
    ) -> None:
        """Brings it back with the keys it could claim again (the application claims them)."""
        self.check_restorable(now, restore_period)
        s = self.state
        self._trigger(
            self.Restored,
            now,
            actor,
            reason=reason,
            external_id=external_id,
            slug=slug,
            display_name=s.display_name,
            logo_url=s.logo_url,
            region_code=s.region_code,
            metadata=dict(s.metadata),
            features=dict(s.features),
            max_allowed_users=s.max_allowed_users,
            active_members=s.active_members,
            created_on=self.created_on,
        )

    def is_purge_due(self, now: datetime, restore_period: timedelta) -> bool:
        purge_at = self.purge_at(restore_period)
        return not self.state.purged and purge_at is not None and now >= purge_at

    def purge(self, now: datetime, actor: str, restore_period: timedelta) -> None:
        """Records that the restore period of a deleted organization is over."""
        deleted_at, purge_at = self.deleted_at, self.purge_at(restore_period)
        if deleted_at is None or purge_at is None:
            raise OrganizationNotDeleted(self.public_id)
        if self.state.purged:
            raise NothingChanged("purged")
        if now < purge_at:
            raise PurgeNotDue(self.public_id, deleted_at, purge_at)
        self._trigger(self.Purged, now, actor)
