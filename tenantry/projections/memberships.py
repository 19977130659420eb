"""Memberships: per user the organizations they belong to, per organization its members."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization
from tenantry.domain.values import InvitationStatus, MembershipStatus
from tenantry.projections.base import Projection, Row, RowRef, Writes, public_id, to_micros


class MembershipsProjection(Projection):
    """Tables: ``members`` (key ``key``, the membership's UUID in hex; ``seq`` is the log position
    of its creation, the listing order; ``status`` is ``None`` once removed) and ``member_orgs``
    (key ``organization_id``: whether the organization is deleted, so its memberships vanish)."""

    name = "memberships"
    version = 1
    handles = (Membership.Event, Organization.Created, Organization.Deleted)
    tables: ClassVar[dict[str, str]] = {"members": "key", "member_orgs": "organization_id"}

    def reads(self, event: DomainEvent) -> Iterable[RowRef]:
        if isinstance(event, Membership.Event) and not isinstance(
            event, Membership.Invited | Membership.Provisioned
        ):
            return [("members", event.originator_id.hex)]
        return []

    def apply(self, event: DomainEvent, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        if isinstance(event, Organization.Created | Organization.Deleted):
            org_id = public_id(ids.ORG, event.originator_id)
            deleted = isinstance(event, Organization.Deleted)
            return {("member_orgs", org_id): {"organization_id": org_id, "deleted": deleted}}
        ref: RowRef = ("members", event.originator_id.hex)
        at = to_micros(event.timestamp)
        if isinstance(event, Membership.Invited | Membership.Provisioned):
            invited = isinstance(event, Membership.Invited)
            row: Row = {
                "key": ref[1],
                "seq": position,
                "organization_id": public_id(ids.ORG, event.organization_id),
                "user_id": public_id(ids.USER, event.user_id),
                "email": event.email,
                "status": (
                    MembershipStatus.PENDING_INVITE if invited else MembershipStatus.ACTIVE
                ).value,
                "roles": list(event.roles),
                "metadata": dict(event.metadata),
                "inviter_email": None,
                "provisioning_method": "invitation",
                "created_at": at,
                "join_time": None,
                "accepted_at": None,
                "invitation_id": None,
                "invitation_status": None,
                "invited_at": None,
                "expires_at": None,
                "resent_at": None,
                "resent_count": 0,
            }
            if isinstance(event, Membership.Invited):
                row.update(_invitation(event, at))
            else:
                row.update(provisioning_method=event.provisioning_method, join_time=at)
            return {ref: row}
        old = rows.get(ref)
        if old is None:
            return {}
        new = dict(old)
        if isinstance(event, Membership.Reinvited):
            new.update(_invitation(event, at), roles=list(event.roles), metadata=event.metadata)
            new.update(status=MembershipStatus.PENDING_INVITE.value, join_time=None)
        elif isinstance(event, Membership.Reprovisioned):
            new.update(
                status=MembershipStatus.ACTIVE.value,
                roles=list(event.roles),
                metadata=dict(event.metadata),
                provisioning_method=event.provisioning_method,
                invitation_status=None,
                join_time=at,
            )
        elif isinstance(event, Membership.InvitationAccepted):
            new.update(
                status=MembershipStatus.ACTIVE.value,
                invitation_status=InvitationStatus.ACCEPTED.value,
                accepted_at=at,
                join_time=at,
            )
        elif isinstance(event, Membership.InvitationResent):
            new.update(
                expires_at=to_micros(event.expires_at),
                resent_at=at,
                resent_count=old["resent_count"] + 1,
            )
        elif isinstance(event, Membership.InvitationRevoked):
            new.update(status=None, invitation_status=InvitationStatus.REVOKED.value)
        elif isinstance(event, Membership.InvitationExpired):
            new.update(
                status=MembershipStatus.INVITE_EXPIRED.value,
                invitation_status=InvitationStatus.EXPIRED.value,
            )
        elif isinstance(event, Membership.RolesChanged):
            new["roles"] = list(event.roles)
        elif isinstance(event, Membership.MetadataChanged):
            new["metadata"] = dict(event.metadata)
        elif isinstance(event, Membership.Deactivated):
            new["status"] = MembershipStatus.INACTIVE.value
        elif isinstance(event, Membership.Reactivated):
            new["status"] = MembershipStatus.ACTIVE.value
        elif isinstance(event, Membership.Removed):
            new["status"] = None
            if old["invitation_status"] == InvitationStatus.PENDING.value:
                new["invitation_status"] = InvitationStatus.REVOKED.value
        return {ref: new} if new != old else {}


def _invitation(event: Membership.Invited | Membership.Reinvited, at: int) -> Row:
    return {
        "metadata": dict(event.metadata),
        "inviter_email": event.inviter_email,
        "provisioning_method": "invitation",
        "invitation_id": public_id(ids.INVITATION, event.invitation_id),
        "invitation_status": InvitationStatus.PENDING.value,
        "invited_at": at,
        "expires_at": to_micros(event.expires_at),
        "accepted_at": None,
        "resent_at": None,
        "resent_count": 0,
    }
