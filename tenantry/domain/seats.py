"""The seat rule and the seat ledger's commands of an organization.

A seat is held by every ACTIVE member and every pending invitation that has not expired at the
moment of the check. The organization keeps of its members only what that rule needs: a count
of active members and the expiry times of its pending invitations
(:class:`~tenantry.domain.ledger.ExpiryLedger`). Each command here records one seat event;
:mod:`tenantry.domain.admission` pairs it with the membership's own event.

:class:`SeatLedger` is a part of :class:`~tenantry.domain.organization.Organization`, which
defines the seat events (their stored topics name the organization).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from tenantry.domain.errors import SeatLimitReached

if TYPE_CHECKING:
    from tenantry.domain.organization import Organization, OrganizationState


class SeatLedger:
    """The seat commands of :class:`~tenantry.domain.organization.Organization`."""

    if TYPE_CHECKING:  # what the organization provides
        state: OrganizationState
        MemberInvited: type[Organization.MemberInvited]
        MemberAdded: type[Organization.MemberAdded]
        InvitationAccepted: type[Organization.InvitationAccepted]
        InvitationResent: type[Organization.InvitationResent]
        InvitationRevoked: type[Organization.InvitationRevoked]
        InvitationExpired: type[Organization.InvitationExpired]
        MemberRemoved: type[Organization.MemberRemoved]
        MemberDeactivated: type[Organization.MemberDeactivated]
        MemberReactivated: type[Organization.MemberReactivated]

        @property
        def public_id(self) -> str: ...

        def check_live(self) -> None: ...

        def _trigger(
            self, event_class: type[Any], now: datetime, actor: str, **kwargs: Any
        ) -> None: ...

    def seats_in_use(self, now: datetime) -> int:
        """ACTIVE members plus pending invitations that have not expired at ``now``."""
        return self.state.active_members + self.state.pending_invitations.count_after(now)

    def check_seat_free(self, now: datetime) -> None:
        """Raises :class:`SeatLimitReached` unless one more seat may be taken at ``now``."""
        limit = self.state.max_allowed_users
        if limit:  # None: feature off; 0: no limit
            in_use = self.seats_in_use(now)
            if in_use >= limit:
                raise SeatLimitReached(self.public_id, limit, in_use)

    def record_invitation(
        self,
        *,
        user_id: UUID,
        email: str,
        invitation_id: UUID,
        expires_at: datetime,
        now: datetime,
        actor: str,
        reason: str | None,
    ) -> None:
        self.check_live()
        self.check_seat_free(now)
        self._trigger(
            self.MemberInvited,
            now,
            actor,
            reason=reason,
            user_id=user_id,
            email=email,
            invitation_id=invitation_id,
            expires_at=expires_at,
        )

    def record_member_added(
        self,
        *,
        user_id: UUID,
        email: str,
        provisioning_method: str,
        now: datetime,
        actor: str,
        reason: str | None,
    ) -> None:
        self.check_live()
        self.check_seat_free(now)
        self._trigger(
            self.MemberAdded,
            now,
            actor,
            reason=reason,
            user_id=user_id,
            email=email,
            provisioning_method=provisioning_method,
        )

    def record_acceptance(
        self,
        *,
        user_id: UUID,
        email: str,
        invitation_id: UUID,
        expires_at: datetime,
        now: datetime,
        actor: str,
    ) -> None:
        """A still-valid invitation already holds its seat: accepting takes no new one."""
        self.check_live()
        self._trigger(
            self.InvitationAccepted,
            now,
            actor,
            user_id=user_id,
            email=email,
            invitation_id=invitation_id,
            expires_at=expires_at,
        )

    def record_resend(
        self,
        *,
        user_id: UUID,
        email: str,
        invitation_id: UUID,
        previous_expires_at: datetime,
        expires_at: datetime,
        now: datetime,
        actor: str,
        reason: str | None,
    ) -> None:
        self.check_live()
        self._trigger(
            self.InvitationResent,
            now,
            actor,
            reason=reason,
            user_id=user_id,
            email=email,
            invitation_id=invitation_id,
            previous_expires_at=previous_expires_at,
            expires_at=expires_at,
        )

    def record_revocation(
        self,
        *,
        user_id: UUID,
        email: str,
        invitation_id: UUID,
        expires_at: datetime,
        now: datetime,
        actor: str,
        reason: str | None,
    ) -> None:
        self.check_live()
        self._trigger(
            self.InvitationRevoked,
            now,
            actor,
            reason=reason,
            user_id=user_id,
            email=email,
            invitation_id=invitation_id,
            expires_at=expires_at,
        )

    def record_expiry(
        self,
        *,
        user_id: UUID,
        email: str,
        invitation_id: UUID,
        expires_at: datetime,
        now: datetime,
        actor: str,
    ) -> None:
        self._trigger(
            self.InvitationExpired,
            now,
            actor,
            user_id=user_id,
            email=email,
            invitation_id=invitation_id,
            expires_at=expires_at,
        )

    def record_removal(
        self,
        *,
        user_id: UUID,
        email: str,
        previous_status: str,
        expires_at: datetime | None,
        now: datetime,
        actor: str,
        reason: str | None,
    ) -> None:
        self.check_live()
        self._trigger(
            self.MemberRemoved,
            now,
            actor,
            reason=reason,
            user_id=user_id,
            email=email,
            previous_status=previous_status,
            expires_at=expires_at,
        )

    def record_deactivation(
        self, *, user_id: UUID, email: str, now: datetime, actor: str, reason: str | None
    ) -> None:
        self.check_live()
        self._trigger(
            self.MemberDeactivated, now, actor, reason=reason, user_id=user_id, email=email
        )

    def record_reactivation(
        self, *, user_id: UUID, email: str, now: datetime, actor: str, reason: str | None
    ) -> None:
        self.check_live()
        self.check_seat_free(now)
        self._trigger(
            self.MemberReactivated, now, actor, reason=reason, user_id=user_id, email=email
        )
