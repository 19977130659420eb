"""The Membership aggregate: one user's membership of one organization.

A membership is keyed by its organization and user (``ids.membership_uuid``: a ``uuid5`` of the
pair, under the organization's creation time) so that it is found without an index and an
organization's size never enters its cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import CanInitAggregate

from tenantry.domain import ids, values
from tenantry.domain.base import Act, Aggregate, AggregateState
from tenantry.domain.errors import (
    AlreadyMember,
    InvitationHasExpired,
    InvitationNotPending,
    InvitationWasRevoked,
    MemberNotActive,
    MemberNotInactive,
    MembershipNotFound,
    NothingChanged,
)
from tenantry.domain.user_errors import LastMemberRole, MemberRoleNotHeld
from tenantry.domain.values import InvitationStatus, MembershipStatus


def status_at(
    status: MembershipStatus | None, expires_at: datetime | None, now: datetime
) -> MembershipStatus | None:
    """A membership's status at ``now``, from its recorded status and its invitation's expiry: a
    pending invite past its expiry reads as INVITE_EXPIRED even before the expiry is recorded.
    ``None``: removed."""
    if status == MembershipStatus.PENDING_INVITE and expires_at is not None and expires_at <= now:
        return MembershipStatus.INVITE_EXPIRED
    return status


@dataclass(frozen=True, slots=True)
class Newcomer:
    """Someone to admit, with the roles and metadata of their membership."""

    user_id: UUID
    email: str
    roles: list[str]
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class Invitation:
    """A new invitation: its id, when it expires and who sent it."""

    id: UUID
    expires_at: datetime
    inviter_email: str | None


class MembershipState(AggregateState):
    organization_id: UUID
    user_id: UUID
    email: str
    status: MembershipStatus | None  # None: removed
    roles: list[str] = []
    metadata: dict[str, str] = {}
    inviter_email: str | None = None
    provisioning_method: str
    created_at: datetime
    join_time: datetime | None = None
    invitation_id: UUID | None = None
    invitation_status: InvitationStatus | None = None
    invited_at: datetime | None = None
    expires_at: datetime | None = None
    accepted_at: datetime | None = None
    resent_at: datetime | None = None
    resent_count: int = 0


class Membership(Aggregate):
    """One user's membership of one organization, with its current invitation."""

    State = MembershipState
    if TYPE_CHECKING:
        state: MembershipState

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            self.apply_to(aggregate.state)

        def apply_to(self, s: MembershipState) -> None:
            pass

    class Invited(Event, CanInitAggregate[UUID]):
        """The first invitation of this user to this organization."""

        originator_topic: str
        organization_id: UUID
        user_id: UUID
        email: str
        roles: list[str]
        metadata: dict[str, str]
        inviter_email: str | None
        invitation_id: UUID
        expires_at: datetime

        def apply(self, aggregate: Any) -> None:
            aggregate.state = MembershipState(
                organization_id=self.organization_id,
                user_id=self.user_id,
                email=self.email,
                status=MembershipStatus.PENDING_INVITE,
                roles=list(self.roles),
                metadata=dict(self.metadata),
                inviter_email=self.inviter_email,
                provisioning_method="invitation",
                created_at=self.timestamp,
                invitation_id=self.invitation_id,
                invitation_status=InvitationStatus.PENDING,
                invited_at=self.timestamp,
                expires_at=self.expires_at,
            )

    class Provisioned(Event, CanInitAggregate[UUID]):
        """The user was made an active member directly (sign-up, direct, SCIM, JIT)."""

        originator_topic: str
        organization_id: UUID
        user_id: UUID
        email: str
        roles: list[str]
        metadata: dict[str, str]
        provisioning_method: str

        def apply(self, aggregate: Any) -> None:
            aggregate.state = MembershipState(
                organization_id=self.organization_id,
                user_id=self.user_id,
                email=self.email,
                status=MembershipStatus.ACTIVE,
                roles=list(self.roles),
                metadata=dict(self.metadata),
                provisioning_method=self.provisioning_method,
                created_at=self.timestamp,
                join_time=self.timestamp,
            )

    class Reinvited(Event):
        """A new invitation, after an expired, revoked or removed one."""

        roles: list[str]
        metadata: dict[str, str]
        inviter_email: str | None
        invitation_id: UUID
        expires_at: datetime

        def apply_to(self, s: MembershipState) -> None:
            s.status = MembershipStatus.PENDING_INVITE
            s.roles = list(self.roles)
            s.metadata = dict(self.metadata)
            s.inviter_email = self.inviter_email
            s.provisioning_method = "invitation"
            s.invitation_id = self.invitation_id
            s.invitation_status = InvitationStatus.PENDING
            s.invited_at = self.timestamp
            s.expires_at = self.expires_at
            s.accepted_at = None
            s.resent_at = None
            s.resent_count = 0
            s.join_time = None

    class Reprovisioned(Event):
        roles: list[str]
        metadata: dict[str, str]
        provisioning_method: str

        def apply_to(self, s: MembershipState) -> None:
            s.status = MembershipStatus.ACTIVE
            s.roles = list(self.roles)
            s.metadata = dict(self.metadata)
            s.provisioning_method = self.provisioning_method
            s.invitation_status = None
            s.join_time = self.timestamp

    class InvitationAccepted(Event):
        def apply_to(self, s: MembershipState) -> None:
            s.status = MembershipStatus.ACTIVE
            s.invitation_status = InvitationStatus.ACCEPTED
            s.accepted_at = self.timestamp
            s.join_time = self.timestamp

    class InvitationResent(Event):
        expires_at: datetime

        def apply_to(self, s: MembershipState) -> None:
            s.expires_at = self.expires_at
            s.resent_at = self.timestamp
            s.resent_count += 1

    class InvitationRevoked(Event):
        def apply_to(self, s: MembershipState) -> None:
            s.status = None
            s.invitation_status = InvitationStatus.REVOKED

    class InvitationExpired(Event):
        def apply_to(self, s: MembershipState) -> None:
            s.status = MembershipStatus.INVITE_EXPIRED
            s.invitation_status = InvitationStatus.EXPIRED

    class RolesChanged(Event):
        roles: list[str]

        def apply_to(self, s: MembershipState) -> None:
            s.roles = list(self.roles)

    class MetadataChanged(Event):
        metadata: dict[str, str]

        def apply_to(self, s: MembershipState) -> None:
            s.metadata = dict(self.metadata)

    class Deactivated(Event):
        def apply_to(self, s: MembershipState) -> None:
            s.status = MembershipStatus.INACTIVE

    class Reactivated(Event):
        def apply_to(self, s: MembershipState) -> None:
            s.status = MembershipStatus.ACTIVE

    class Removed(Event):
        def apply_to(self, s: MembershipState) -> None:
            s.status = None
            if s.invitation_status == InvitationStatus.PENDING:
                s.invitation_status = InvitationStatus.REVOKED

    # --- queries -------------------------------------------------------------------------------

    def status_at(self, now: datetime) -> MembershipStatus | None:
        """The status at ``now`` (see :func:`status_at`)."""
        return status_at(self.state.status, self.state.expires_at, now)

    def expiry_is_due(self, now: datetime) -> bool:
        """Recorded as a pending invite, but expired at ``now``: an expiry not recorded yet."""
        return self.state.status != self.status_at(now)

    def invitation(self) -> tuple[UUID, datetime]:
        """The current invitation's id and expiry."""
        s = self.state
        if s.invitation_id is None or s.expires_at is None:
            raise InvitationNotPending(s.email, "none")
        return s.invitation_id, s.expires_at

    @property
    def _org_public_id(self) -> str:
        return ids.encode(ids.ORG, self.state.organization_id)

    def check_can_be_admitted(self, now: datetime) -> None:
        """Raises :class:`AlreadyMember` if active, inactive or holding a pending invitation."""
        status = self.status_at(now)
        if status in (
            MembershipStatus.ACTIVE,
            MembershipStatus.INACTIVE,
            MembershipStatus.PENDING_INVITE,
        ):
            raise AlreadyMember(self._org_public_id, self.state.email, str(status))

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def invite(
        cls, organization_id: UUID, newcomer: Newcomer, invitation: Invitation, act: Act
    ) -> Membership:
        return cls._admit(
            cls.Invited,
            organization_id,
            newcomer,
            act,
            inviter_email=invitation.inviter_email,
            invitation_id=invitation.id,
            expires_at=invitation.expires_at,
        )

    @classmethod
    def provision(
        cls, organization_id: UUID, newcomer: Newcomer, provisioning_method: str, act: Act
    ) -> Membership:
        return cls._admit(
            cls.Provisioned, organization_id, newcomer, act, provisioning_method=provisioning_method
        )

    @classmethod
    def _admit(
        cls,
        event_class: type[Any],
        organization_id: UUID,
        newcomer: Newcomer,
        act: Act,
        **fields: Any,
    ) -> Membership:
        return cls._create(
            event_class,
            id=ids.membership_uuid(organization_id, newcomer.user_id),
            timestamp=act.now,
            actor=act.actor,
            reason=act.reason,
            organization_id=organization_id,
            user_id=newcomer.user_id,
            email=newcomer.email,
            roles=newcomer.roles,
            metadata=newcomer.metadata,
            **fields,
        )

    def reinvite(self, terms: Newcomer, invitation: Invitation, act: Act) -> None:
        """A new invitation for someone whose last one expired or was revoked, or who was
        removed; ``terms`` give the renewed membership's roles and metadata."""
        self._readmit(
            self.Reinvited,
            terms,
            act,
            inviter_email=invitation.inviter_email,
            invitation_id=invitation.id,
            expires_at=invitation.expires_at,
        )

    def reprovision(self, terms: Newcomer, provisioning_method: str, act: Act) -> None:
        """Makes someone who left, or whose invitation lapsed, an active member again."""
        self._readmit(self.Reprovisioned, terms, act, provisioning_method=provisioning_method)

    def _readmit(self, event_class: type[Any], terms: Newcomer, act: Act, **fields: Any) -> None:
        self.check_can_be_admitted(act.now)
        self._record(event_class, act, roles=terms.roles, metadata=terms.metadata, **fields)

    def _check_pending(self) -> None:
        s = self.state
        if s.status is None and s.invitation_status != InvitationStatus.REVOKED:
            raise MembershipNotFound(self._org_public_id, s.email)
        if s.invitation_status != InvitationStatus.PENDING:
            raise InvitationNotPending(s.email, str(s.invitation_status or "none"))

    def accept(self, now: datetime, actor: str) -> None:
        s = self.state
        if s.invitation_status == InvitationStatus.REVOKED:
            raise InvitationWasRevoked(s.email)
        if s.invitation_status == InvitationStatus.EXPIRED and s.expires_at is not None:
            raise InvitationHasExpired(s.email, s.expires_at)
        self._check_pending()
        if s.expires_at is not None and s.expires_at <= now:
            raise InvitationHasExpired(s.email, s.expires_at)
        self._trigger(self.InvitationAccepted, now, actor)

    def extend(self, expires_at: datetime, now: datetime, actor: str, reason: str | None) -> None:
        """Resends a still-pending invitation, extending its expiry."""
        self._check_pending()
        self._trigger(self.InvitationResent, now, actor, reason=reason, expires_at=expires_at)

    def revoke(self, now: datetime, actor: str, reason: str | None) -> None:
        """Revokes a pending invitation; one past its expiry is expired, whether or not the
        sweep has recorded it yet, and is not revoked."""
        self._check_pending()
        if self.status_at(now) == MembershipStatus.INVITE_EXPIRED:
            raise InvitationNotPending(self.state.email, "expired")
        self._trigger(self.InvitationRevoked, now, actor, reason=reason)

    def expire(self, now: datetime, actor: str) -> None:
        """Records the expiry of a pending invitation whose time has passed."""
        self._check_pending()
        self._trigger(self.InvitationExpired, now, actor)

    def change_roles(self, roles: list[str], now: datetime, actor: str, reason: str | None) -> None:
        self.check_exists()
        if roles == self.state.roles:
            raise NothingChanged("roles")
        self._trigger(self.RolesChanged, now, actor, reason=reason, roles=roles)

    def grant_roles(self, roles: list[str], now: datetime, actor: str, reason: str | None) -> None:
        """Adds ``roles`` to the member's roles (those held already stay once)."""
        self.change_roles(values.roles([*self.state.roles, *roles], "roles"), now, actor, reason)

    def take_role(self, role: str, now: datetime, actor: str, reason: str | None) -> None:
        """Takes ``role`` from the member, who keeps at least one role."""
        if role not in self.state.roles:
            raise MemberRoleNotHeld(role)
        if self.state.roles == [role]:
            raise LastMemberRole(role)
        self.change_roles([r for r in self.state.roles if r != role], now, actor, reason)

    def change_metadata(
        self, metadata: dict[str, str], now: datetime, actor: str, reason: str | None
    ) -> None:
        self.check_exists()
        if metadata == self.state.metadata:
            raise NothingChanged("metadata")
        self._trigger(self.MetadataChanged, now, actor, reason=reason, metadata=metadata)

    def deactivate(self, now: datetime, actor: str, reason: str | None) -> None:
        self.check_exists()
        if self.state.status != MembershipStatus.ACTIVE:
            raise MemberNotActive(self.state.email, str(self.status_at(now)))
        self._trigger(self.Deactivated, now, actor, reason=reason)

    def reactivate(self, now: datetime, actor: str, reason: str | None) -> None:
        self.check_exists()
        if self.state.status != MembershipStatus.INACTIVE:
            raise MemberNotInactive(self.state.email, str(self.status_at(now)))
        self._trigger(self.Reactivated, now, actor, reason=reason)

    def remove(self, now: datetime, actor: str, reason: str | None) -> None:
        self.check_exists()
        self._trigger(self.Removed, now, actor, reason=reason)

    def check_exists(self) -> None:
        if self.state.status is None:
            raise MembershipNotFound(self._org_public_id, self.state.email)

    def check_readable(self) -> None:
        """Raises :class:`MembershipNotFound` for a membership that is over, unless it ended with
        its invitation revoked: that one stays readable, so the revocation can be seen."""
        if self.state.invitation_status != InvitationStatus.REVOKED:
            self.check_exists()
