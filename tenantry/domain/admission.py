"""Admissions to an organization and releases from it, each as one transition of two aggregates.

The organization keeps of its members only what the seat rule needs (a count of active members,
the expiry times of pending invitations); each membership keeps the rest. So every change of a
membership's standing has two sides: the membership's event and the organization's seat event.
Each function here is one such transition: it checks the rules of both sides and records both,
and the application saves the two aggregates together. A refusal raises; the command then saves
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from tenantry.domain import values
from tenantry.domain.base import Act
from tenantry.domain.errors import InvitationNotPending
from tenantry.domain.membership import Invitation, Membership, Newcomer
from tenantry.domain.organization import Organization
from tenantry.domain.values import MembershipStatus

Transition = Callable[[Organization, Membership, Act], None]
"""A transition of an existing membership and its organization's seat ledger."""


def invite(
    org: Organization,
    membership: Membership | None,
    newcomer: Newcomer,
    invitation: Invitation,
    act: Act,
) -> Membership:
    """Invites someone: the invitation holds a seat until it expires. Refuses someone active,
    inactive or with a pending invitation; a lapsed invitation is recorded as expired first."""
    _check_admissible(org, membership, act)
    org.record_invitation(newcomer, invitation, act)
    if membership is None:
        return Membership.invite(org.id, newcomer, invitation, act)
    membership.reinvite(newcomer, invitation, act)
    return membership


def add(
    org: Organization,
    membership: Membership | None,
    newcomer: Newcomer,
    provisioning_method: str,
    act: Act,
) -> Membership:
    """Makes someone an active member at once (sign-up, direct, SCIM or JIT provisioning), on a
    free seat. Refuses someone active, inactive or with a pending invitation."""
    _check_admissible(org, membership, act)
    org.record_member_added(newcomer, provisioning_method, act)
    if membership is None:
        return Membership.provision(org.id, newcomer, provisioning_method, act)
    membership.reprovision(newcomer, provisioning_method, act)
    return membership


def accept(org: Organization, membership: Membership, act: Act) -> None:
    """Accepts a still-valid invitation. It takes no new seat: the invitation held one. An
    acceptance records no reason."""
    membership.accept(act.now, act.actor)
    org.record_acceptance(membership, act)


def resend(
    org: Organization,
    membership: Membership,
    expires_at: datetime,
    act: Act,
    new_invitation_id: Callable[[], UUID],
) -> None:
    """Resends an invitation: a pending one is extended to ``expires_at``; an expired one is
    replaced by a new invitation (its id from ``new_invitation_id``), which needs a free seat."""
    s = membership.state
    status = membership.status_at(act.now)
    if status == MembershipStatus.PENDING_INVITE:
        _, previous = membership.invitation()
        membership.extend(expires_at, act.now, act.actor, act.reason)
        org.record_resend(membership, previous, act)
    elif status == MembershipStatus.INVITE_EXPIRED:
        again = Newcomer(s.user_id, s.email, s.roles, s.metadata)
        renewed = Invitation(new_invitation_id(), expires_at, s.inviter_email)
        invite(org, membership, again, renewed, act)  # records the expiry first
    else:
        raise InvitationNotPending(s.email, str(status or s.invitation_status or "none"))


def revoke(org: Organization, membership: Membership, act: Act) -> None:
    """Revokes a pending invitation; its seat is freed."""
    membership.revoke(act.now, act.actor, act.reason)
    org.record_revocation(membership, act)


def remove(org: Organization, membership: Membership, act: Act) -> None:
    """Removes a member, or withdraws a pending invitation; the seat is freed."""
    previous = membership.state.status
    membership.remove(act.now, act.actor, act.reason)
    org.record_removal(membership, previous, act)


def remove_of_deleted_user(org: Organization, membership: Membership, act: Act) -> None:
    """Removes the membership of a user being deleted, in a live organization or a deleted one
    (not purged): a restore must not bring back a deleted user's membership. The seat is freed
    either way, so a restored organization counts only the members it really has."""
    previous = membership.state.status
    membership.remove(act.now, act.actor, act.reason)
    org.record_removal(membership, previous, act, of_deleted_user=True)


def deactivate(org: Organization, membership: Membership, act: Act) -> None:
    """Suspends an active member (INACTIVE); the seat is freed."""
    membership.deactivate(act.now, act.actor, act.reason)
    org.record_deactivation(membership, act)


def reactivate(org: Organization, membership: Membership, act: Act) -> None:
    """Makes an inactive member active again: an admission, on a free seat."""
    membership.reactivate(act.now, act.actor, act.reason)
    org.record_reactivation(membership, act)


def expire(org: Organization, membership: Membership, act: Act) -> bool:
    """Records the expiry of an invitation whose time has passed while it is still recorded as
    pending; False, recording nothing, if there is none. Seats never waited for it (an expired
    invitation stops counting at its expiry): it makes the expiry visible to feeds and replays.
    An expiry records no reason."""
    if not membership.expiry_is_due(act.now):
        return False
    membership.expire(act.now, act.actor)
    org.record_expiry(membership, act)
    return True


def transition_to(membership: Membership, status: str, now: datetime) -> Transition | None:
    """The transition that gives a membership the status an admin sets (ACTIVE or INACTIVE, as
    the hosted API's update of a membership does), or None if it has that status already.

    INACTIVE deactivates (refused unless the member is active). ACTIVE reactivates an inactive
    member and accepts a pending invitation (refused if it expired or was revoked). A removed
    membership is not found.
    """
    wanted = values.member_status(status)
    membership.check_exists()
    current = membership.status_at(now)
    if current == wanted:
        return None
    if wanted == MembershipStatus.INACTIVE:
        return deactivate
    return reactivate if current == MembershipStatus.INACTIVE else accept


def _check_admissible(org: Organization, membership: Membership | None, act: Act) -> None:
    """Refuses someone already admitted; records the expiry of a lapsed invitation first, so
    that the new admission follows it in the membership's history."""
    if membership is not None:
        membership.check_can_be_admitted(act.now)
        expire(org, membership, act)
