"""What an organization records of its portal links: one event beside each event of a link
(:mod:`tenantry.domain.portal_link`), so that the organization's history shows who generated,
opened, signed out of, revoked a link and when it expired; and which links may still matter
(``state.portal_links``: each link until it can neither be opened nor have a live session).

:class:`PortalLinkLedger` is a part of :class:`~tenantry.domain.organization.Organization`, which
defines the ``PortalLink*`` events (their stored topics name the organization). No secret, nor
its hash, is in these events.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from tenantry.domain.base import Act

if TYPE_CHECKING:
    from tenantry.domain.organization import Organization, OrganizationState
    from tenantry.domain.portal_link import PortalLink
    from tenantry.domain.portal_link_values import LinkSession


class PortalLinkLedger:
    """The portal-link records of :class:`~tenantry.domain.organization.Organization`."""

    if TYPE_CHECKING:  # what the organization provides
        state: OrganizationState
        PortalLinkGenerated: type[Organization.PortalLinkGenerated]
        PortalLinkOpened: type[Organization.PortalLinkOpened]
        PortalSessionEnded: type[Organization.PortalSessionEnded]
        PortalLinkRevoked: type[Organization.PortalLinkRevoked]
        PortalLinkExpired: type[Organization.PortalLinkExpired]

        def check_live(self) -> None: ...

        def _record(self, event_class: type[Any], act: Act, **kwargs: Any) -> None: ...

    def record_link_generated(self, link: PortalLink, act: Act) -> None:
        self.check_live()
        s = link.state
        self._record(
            self.PortalLinkGenerated,
            act,
            link_id=link.id,
            link_features=list(s.features),
            shareable=s.shareable,
            expire_time=s.expire_time,
        )

    def record_link_opened(self, link: PortalLink, session: LinkSession, act: Act) -> None:
        self._record(
            self.PortalLinkOpened,
            act,
            link_id=link.id,
            session_id=session.id,
            session_expire_time=session.expire_time,
        )

    def record_session_ended(self, link_id: UUID, session_id: UUID, act: Act) -> None:
        self._record(self.PortalSessionEnded, act, link_id=link_id, session_id=session_id)

    def record_link_revoked(self, link_id: UUID, act: Act) -> None:
        self._record(self.PortalLinkRevoked, act, link_id=link_id)

    def record_link_expired(self, link_id: UUID, act: Act) -> None:
        self._record(self.PortalLinkExpired, act, link_id=link_id)

    def portal_links_due(self, now: datetime) -> list[UUID]:
        """The links whose time (and their sessions') has passed at ``now``, oldest first."""
        due = [(until, link) for link, until in self.state.portal_links.items() if until <= now]
        return [link for _, link in sorted(due)]
