"""The Organization aggregate: a tenant's settings and its seat ledger (the seat commands are in
:mod:`tenantry.domain.seats`).

Public methods check the rules and raise; the events' ``apply`` only assigns. The organization
keeps of its members only what the seat rule needs — a count of active members and an
:class:`~tenantry.domain.ledger.ExpiryLedger` of the pending invitations' expiry times — so
commanding and loading it cost about the same however many members it has. Each membership is
its own small aggregate (:mod:`tenantry.domain.membership`), saved in the same transaction as the
organization.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids
from tenantry.domain.base import Act, Aggregate, AggregateState, Timestamp
from tenantry.domain.errors import (
    ImmutableField,
    NothingChanged,
    OrganizationNotFound,
)
from tenantry.domain.ledger import ExpiryLedger
from tenantry.domain.membership import Membership
from tenantry.domain.portal_link_ledger import PortalLinkLedger
from tenantry.domain.retention import Retention
from tenantry.domain.seats import SeatLedger
from tenantry.domain.values import Feature, SessionPolicy


class OrganizationState(AggregateState):
    display_name: str
    external_id: str | None = None
    slug: str | None = None
    logo_url: str | None = None
    region_code: str
    metadata: dict[str, str] = {}
    features: dict[str, bool] = {}
    max_allowed_users: int | None = None
    session_policy: SessionPolicy = SessionPolicy()
    sign_in_methods: list[str] | None = None
    deleted: bool = False
    deleted_at: datetime | None = None
    purged: bool = False
    active_members: int = 0
    pending_invitations: ExpiryLedger = ExpiryLedger()
    portal_links: dict[UUID, Timestamp] = {}
    """The portal links that may still matter: each until it can neither be opened nor have a
    live session (:mod:`tenantry.domain.portal_link_ledger`)."""

    def copy_for_command(self) -> Self:
        new = super().copy_for_command()
        new.__dict__["pending_invitations"] = self.pending_invitations.copy()  # changed in place
        return new


class Organization(Aggregate, SeatLedger, Retention, PortalLinkLedger):
    """A customer company: a multi-tenant container with settings and a seat limit."""

    State = OrganizationState
    if TYPE_CHECKING:
        state: OrganizationState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: OrganizationState) -> None:
            pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
        display_name: str
        external_id: str | None
        slug: str | None
        logo_url: str | None
        region_code: str
        metadata: dict[str, str]

        def apply(self, aggregate: Any) -> None:
            aggregate.state = OrganizationState(
                display_name=self.display_name,
                external_id=self.external_id,
                slug=self.slug,
                logo_url=self.logo_url,
                region_code=self.region_code,
                metadata=dict(self.metadata),
                pending_invitations=ExpiryLedger(),
            )

    class Renamed(Event):
        display_name: str

        def apply_to(self, s: OrganizationState) -> None:
            s.display_name = self.display_name

    class ExternalIdChanged(Event):
        external_id: str | None

        def apply_to(self, s: OrganizationState) -> None:
            s.external_id = self.external_id

    class SlugChanged(Event):
        slug: str | None

        def apply_to(self, s: OrganizationState) -> None:
            s.slug = self.slug

    class LogoChanged(Event):
        logo_url: str | None

        def apply_to(self, s: OrganizationState) -> None:
            s.logo_url = self.logo_url

    class MetadataChanged(Event):
        metadata: dict[str, str]

        def apply_to(self, s: OrganizationState) -> None:
            s.metadata = dict(self.metadata)

    class FeatureToggled(Event):
        name: str
        enabled: bool

        def apply_to(self, s: OrganizationState) -> None:
            s.features = {**s.features, self.name: self.enabled}

    class LimitSet(Event):
        max_allowed_users: int | None

        def apply_to(self, s: OrganizationState) -> None:
            s.max_allowed_users = self.max_allowed_users

    class SessionPolicySet(Event):
        session_policy: SessionPolicy

        def apply_to(self, s: OrganizationState) -> None:
            s.session_policy = self.session_policy

    class SignInMethodsSet(Event):
        sign_in_methods: list[str] | None

        def apply_to(self, s: OrganizationState) -> None:
            s.sign_in_methods = None if self.sign_in_methods is None else list(self.sign_in_methods)

    class Deleted(Event):
        def apply_to(self, s: OrganizationState) -> None:
            s.deleted = True
            s.deleted_at = self.timestamp

    class Restored(Event):
        """Live again, with its members and settings. ``external_id`` and ``slug`` are the keys
        it got back (``None``: released, another organization had taken it); the other fields
        repeat what the read models need to list it again (they dropped it at its deletion)."""

        external_id: str | None
        slug: str | None
        display_name: str
        logo_url: str | None
        region_code: str
        metadata: dict[str, str]
        features: dict[str, bool]
        max_allowed_users: int | None
        active_members: int
        created_on: datetime

        def apply_to(self, s: OrganizationState) -> None:
            s.deleted = False
            s.deleted_at = None
            s.external_id = self.external_id
            s.slug = self.slug

    class Purged(Event):
        """Its restore period is over: it stays deleted for good (its history stays)."""

        def apply_to(self, s: OrganizationState) -> None:
            s.purged = True

    # --- a member's roles or metadata changed: recorded for the organization's history
    class MemberRolesChanged(Event):
        user_id: UUID
        roles: list[str]

    class MemberMetadataChanged(Event):
        user_id: UUID
        metadata: dict[str, str]

    # --- portal links: each recorded beside the link's own event (tenantry.domain.portal_link)
    class PortalLinkGenerated(Event):
        link_id: UUID
        link_features: list[str]
        shareable: bool
        expire_time: Timestamp

        def apply_to(self, s: OrganizationState) -> None:
            s.portal_links = {**s.portal_links, self.link_id: self.expire_time}

    class PortalLinkOpened(Event):
        link_id: UUID
        session_id: UUID
        session_expire_time: Timestamp

        def apply_to(self, s: OrganizationState) -> None:
            until = max(s.portal_links.get(self.link_id, self.timestamp), self.session_expire_time)
            s.portal_links = {**s.portal_links, self.link_id: until}

    class PortalSessionEnded(Event):
        link_id: UUID
        session_id: UUID

    class PortalLinkRevoked(Event):
        link_id: UUID

        def apply_to(self, s: OrganizationState) -> None:
            s.portal_links = {k: v for k, v in s.portal_links.items() if k != self.link_id}

    class PortalLinkExpired(Event):
        link_id: UUID

        def apply_to(self, s: OrganizationState) -> None:
            s.portal_links = {k: v for k, v in s.portal_links.items() if k != self.link_id}

    # --- the seat ledger: one event per admission or release, recorded beside the membership's
    class SeatEvent(Event):
        user_id: UUID
        email: str

        def apply_to(self, s: OrganizationState) -> None:
            self.book(s)

        def book(self, s: OrganizationState) -> None:
            pass

        def _release_pending(self, s: OrganizationState, expires_at: datetime | None) -> None:
            if expires_at is not None:
                s.pending_invitations.discard(expires_at)

    class MemberInvited(SeatEvent):
        invitation_id: UUID
        expires_at: datetime

        def book(self, s: OrganizationState) -> None:
            s.pending_invitations.add(self.expires_at)

    class MemberAdded(SeatEvent):
        provisioning_method: str

        def book(self, s: OrganizationState) -> None:
            s.active_members += 1

    class InvitationAccepted(SeatEvent):
        invitation_id: UUID
        expires_at: datetime

        def book(self, s: OrganizationState) -> None:
            self._release_pending(s, self.expires_at)
            s.active_members += 1

    class InvitationResent(SeatEvent):
        invitation_id: UUID
        previous_expires_at: datetime
        expires_at: datetime

        def book(self, s: OrganizationState) -> None:
            self._release_pending(s, self.previous_expires_at)
            s.pending_invitations.add(self.expires_at)

    class InvitationRevoked(SeatEvent):
        invitation_id: UUID
        expires_at: datetime

        def book(self, s: OrganizationState) -> None:
            self._release_pending(s, self.expires_at)

    class InvitationExpired(SeatEvent):
        invitation_id: UUID
        expires_at: datetime

        def book(self, s: OrganizationState) -> None:
            self._release_pending(s, self.expires_at)

    class MemberRemoved(SeatEvent):
        previous_status: str
        expires_at: datetime | None = None

        def book(self, s: OrganizationState) -> None:
            if self.previous_status == "ACTIVE":
                s.active_members -= 1
            elif self.previous_status == "PENDING_INVITE":
                self._release_pending(s, self.expires_at)

    class MemberDeactivated(SeatEvent):
        def book(self, s: OrganizationState) -> None:
            s.active_members -= 1

    class MemberReactivated(SeatEvent):
        def book(self, s: OrganizationState) -> None:
            s.active_members += 1

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        now: datetime,
        actor: str,
        reason: str | None,
        display_name: str,
        external_id: str | None,
        slug: str | None,
        logo_url: str | None,
        region_code: str,
        metadata: dict[str, str],
    ) -> Organization:
        """Arguments must already be validated (see :mod:`tenantry.domain.values`)."""
        return cls._create(
            cls.Created,
            id=id,
            timestamp=now,
            actor=actor,
            reason=reason,
            display_name=display_name,
            external_id=external_id,
            slug=slug,
            logo_url=logo_url,
            region_code=region_code,
            metadata=metadata,
        )

    @property
    def public_id(self) -> str:
        return ids.encode(ids.ORG, self.id)

    @property
    def is_deleted(self) -> bool:
        return self.state.deleted

    def check_live(self) -> None:
        if self.state.deleted:
            raise OrganizationNotFound(self.public_id)

    def rename(self, display_name: str, now: datetime, actor: str, reason: str | None) -> None:
        self.check_live()
        if display_name == self.state.display_name:
            raise NothingChanged("display_name")
        self._trigger(self.Renamed, now, actor, reason=reason, display_name=display_name)

    def change_external_id(
        self, external_id: str | None, now: datetime, actor: str, reason: str | None
    ) -> None:
        self.check_live()
        if external_id == self.state.external_id:
            raise NothingChanged("external_id")
        self._trigger(self.ExternalIdChanged, now, actor, reason=reason, external_id=external_id)

    def change_slug(self, slug: str | None, now: datetime, actor: str, reason: str | None) -> None:
        self.check_live()
        if slug == self.state.slug:
            raise NothingChanged("slug")
        self._trigger(self.SlugChanged, now, actor, reason=reason, slug=slug)

    def change_logo(
        self, logo_url: str | None, now: datetime, actor: str, reason: str | None
    ) -> None:
        self.check_live()
        if logo_url == self.state.logo_url:
            raise NothingChanged("logo_url")
        self._trigger(self.LogoChanged, now, actor, reason=reason, logo_url=logo_url)

    def change_metadata(
        self, metadata: dict[str, str], now: datetime, actor: str, reason: str | None
    ) -> None:
        self.check_live()
        if metadata == self.state.metadata:
            raise NothingChanged("metadata")
        self._trigger(self.MetadataChanged, now, actor, reason=reason, metadata=metadata)

    def check_region(self, region_code: str) -> None:
        if region_code != self.state.region_code:
            raise ImmutableField("region_code")

    def toggle_features(
        self, features: dict[Feature, bool], now: datetime, actor: str, reason: str | None
    ) -> None:
        self.check_live()
        changes = [
            (f.value, on)
            for f, on in sorted(features.items())
            if self.state.features.get(f.value, False) != on
        ]
        if not changes:
            raise NothingChanged("settings.features")
        for name, on in changes:
            self._trigger(self.FeatureToggled, now, actor, reason=reason, name=name, enabled=on)

    def set_limit(
        self, max_allowed_users: int | None, now: datetime, actor: str, reason: str | None
    ) -> None:
        """Sets the seat limit; it may go below the seats in use (no one is removed)."""
        self.check_live()
        if max_allowed_users == self.state.max_allowed_users:
            raise NothingChanged("max_allowed_users")
        self._trigger(self.LimitSet, now, actor, reason=reason, max_allowed_users=max_allowed_users)

    def set_session_policy(
        self, policy: SessionPolicy, now: datetime, actor: str, reason: str | None
    ) -> None:
        self.check_live()
        if policy == self.state.session_policy:
            raise NothingChanged("session_policy")
        self._trigger(self.SessionPolicySet, now, actor, reason=reason, session_policy=policy)

    def set_sign_in_methods(
        self, methods: list[str] | None, now: datetime, actor: str, reason: str | None
    ) -> None:
        self.check_live()
        if methods == self.state.sign_in_methods:
            raise NothingChanged("allowed_sign_in_methods")
        self._trigger(self.SignInMethodsSet, now, actor, reason=reason, sign_in_methods=methods)

    def delete(self, now: datetime, actor: str, reason: str | None) -> None:
        self.check_live()
        self._trigger(self.Deleted, now, actor, reason=reason)

    def record_member_change(self, membership: Membership, act: Act) -> None:
        """Records in the organization's history the role and metadata changes ``membership``
        has pending (each as its own event, beside the membership's)."""
        user = membership.state.user_id
        for e in membership.pending_events:
            if isinstance(e, Membership.RolesChanged):
                self._record(self.MemberRolesChanged, act, user_id=user, roles=e.roles)
            elif isinstance(e, Membership.MetadataChanged):
                self._record(self.MemberMetadataChanged, act, user_id=user, metadata=e.metadata)
