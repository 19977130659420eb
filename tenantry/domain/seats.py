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

from tenantry.domain.base import Act
from tenantry.domain.errors import OrganizationNotFound, SeatLimitReached
from tenantry.domain.membership import Invitation, Membership, MembershipState, Newcomer
from tenantry.domain.values import MembershipStatus

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

        def _record(self, event_class: type[Any], act: Act, **kwargs: Any) -> None: ...

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

    def record_invitation(self, newcomer: Newcomer, invitation: Invitation, act: Act) -> None:
        self.check_live()
        self.check_seat_free(act.now)
        self._book(
            self.MemberInvited,
            newcomer,
            act,
            invitation_id=invitation.id,
            expires_at=invitation.expires_at,
        )

    def record_member_added(self, newcomer: Newcomer, provisioning_method: str, act: Act) -> None:
        self.check_live()
        self.check_seat_free(act.now)
        self._book(self.MemberAdded, newcomer, act, provisioning_method=provisioning_method)

    def record_acceptance(self, membership: Membership, act: Act) -> None:
        """A still-valid invitation already holds its seat: accepting takes no new one. An
        acceptance records no reason."""
        self.check_live()
        self._book_invitation(self.InvitationAccepted, membership, Act(act.now, act.actor))

    def record_resend(
        self, membership: Membership, previous_expires_at: datetime, act: Act
    ) -> None:
        """Moves the invitation's seat from ``previous_expires_at`` to its new expiry."""
        self.check_live()
        self._book_invitation(
            self.InvitationResent, membership, act, previous_expires_at=previous_expires_at
        )

    def record_revocation(self, membership: Membership, act: Act) -> None:
        self.check_live()
        self._book_invitation(self.InvitationRevoked, membership, act)

    def record_expiry(self, membership: Membership, act: Act) -> None:
        """An expiry records no reason."""
        self._book_invitation(self.InvitationExpired, membership, Act(act.now, act.actor))

    def record_removal(
        self,
        membership: Membership,
        previous_status: MembershipStatus | None,
        act: Act,
        *,
        of_deleted_user: bool = False,
    ) -> None:
        """Frees the seat the membership held in ``previous_status``: a pending invitation's
        expiry is recorded so that its entry leaves the ledger. The membership of a user being
        deleted (``of_deleted_user``) is removed from a deleted organization too, so that a
        restore does not bring it back; a purged one never comes back, and records nothing
        more."""
        if not of_deleted_user:
            self.check_live()
        elif self.state.purged:
            raise OrganizationNotFound(self.public_id)
        pending = previous_status == MembershipStatus.PENDING_INVITE
        self._book(
            self.MemberRemoved,
            membership.state,
            act,
            previous_status=str(previous_status),
            expires_at=membership.state.expires_at if pending else None,
        )

    def record_deactivation(self, membership: Membership, act: Act) -> None:
        self.check_live()
        self._book(self.MemberDeactivated, membership.state, act)

    def record_reactivation(self, membership: Membership, act: Act) -> None:
        self.check_live()
        self.check_seat_free(act.now)
        self._book(self.MemberReactivated, membership.state, act)

    def _book(
        self, event_class: type[Any], member: Newcomer | MembershipState, act: Act, **fields: Any
    ) -> None:
        self._record(event_class, act, user_id=member.user_id, email=member.email, **fields)

    def _book_invitation(
        self, event_class: type[Any], membership: Membership, act: Act, **fields: Any
    ) -> None:
        invitation_id, expires_at = membership.invitation()
        self._book(
            event_class,
            membership.state,
            act,
            invitation_id=invitation_id,
            expires_at=expires_at,
            **fields,
        )
