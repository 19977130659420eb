"""Memberships: per user the organizations they belong to, per organization its members."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.membership import Membership
from tenantry.domain.organization import Organization
from tenantry.domain.values import InvitationStatus, MembershipStatus
from tenantry.projections.base import Projection, Row, RowRef, Writes, public_id, to_micros
from tenantry.projections.dispatch import Dispatch


class MembershipsProjection(Projection):
    """Tables: ``members`` (key ``key``, the membership's UUID in hex; ``seq`` is the log position
    of its creation, the listing order; ``status`` is ``None`` once removed) and ``member_orgs``
    (key ``organization_id``: whether the organization is deleted, so its memberships vanish)."""

    name = "memberships"
    version = 1
    handles = (
        Membership.Event,
        Organization.Created,
        Organization.Deleted,
        Organization.Restored,
    )
    tables: ClassVar[dict[str, str]] = {"members": "key", "member_orgs": "organization_id"}

    def reads(self, event: DomainEvent) -> Iterable[RowRef]:
        if _APPLY[type(event)] is _changed:  # a change of an existing membership
            return [("members", event.originator_id.hex)]
        return []

    def apply(self, event: DomainEvent, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        return _APPLY[type(event)](event, position, rows)


def _organization_created(
    event: Organization.Created, position: int, rows: Mapping[RowRef, Row | None]
) -> Writes:
    return _organization(event, deleted=False)


def _organization_deleted(
    event: Organization.Deleted, position: int, rows: Mapping[RowRef, Row | None]
) -> Writes:
    return _organization(event, deleted=True)


def _organization_restored(
    event: Organization.Restored, position: int, rows: Mapping[RowRef, Row | None]
) -> Writes:
    return _organization(event, deleted=False)


def _organization(event: Organization.Event, *, deleted: bool) -> Writes:
    org_id = public_id(ids.ORG, event.originator_id)
    return {("member_orgs", org_id): {"organization_id": org_id, "deleted": deleted}}


def _invited(event: Membership.Invited, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
    row = _member(event, position, MembershipStatus.PENDING_INVITE)
    row.update(_invitation(event, row["created_at"]))
    return {("members", row["key"]): row}


def _provisioned(
    event: Membership.Provisioned, position: int, rows: Mapping[RowRef, Row | None]
) -> Writes:
    row = _member(event, position, MembershipStatus.ACTIVE)
    row.update(provisioning_method=event.provisioning_method, join_time=row["created_at"])
    return {("members", row["key"]): row}


def _member(
    event: Membership.Invited | Membership.Provisioned, position: int, status: MembershipStatus
) -> Row:
    """A new membership's row, before what only an invitation or a provisioning sets."""
    return {
        "key": event.originator_id.hex,
        "seq": position,
        "organization_id": public_id(ids.ORG, event.organization_id),
        "user_id": public_id(ids.USER, event.user_id),
        "email": event.email,
        "status": status.value,
        "roles": list(event.roles),
        "metadata": dict(event.metadata),
        "inviter_email": None,
        "provisioning_method": "invitation",
        "created_at": to_micros(event.timestamp),
        "join_time": None,
        "accepted_at": None,
        "invitation_id": None,
        "invitation_status": None,
        "invited_at": None,
        "expires_at": None,
        "resent_at": None,
        "resent_count": 0,
    }


def _changed(event: Membership.Event, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
    """Every later event of a membership changes its row as :data:`_CHANGES` says (if at
    all)."""
    ref: RowRef = ("members", event.originator_id.hex)
    old = rows.get(ref)
    if old is None:
        return {}
    new = dict(old)
    _CHANGES[type(event)](event, to_micros(event.timestamp), new)
    return {ref: new} if new != old else {}


def _reinvited(event: Membership.Reinvited, at: int, row: Row) -> None:
    row.update(_invitation(event, at), roles=list(event.roles), metadata=event.metadata)
    row.update(status=MembershipStatus.PENDING_INVITE.value, join_time=None)


def _reprovisioned(event: Membership.Reprovisioned, at: int, row: Row) -> None:
    row.update(
        status=MembershipStatus.ACTIVE.value,
        roles=list(event.roles),
        metadata=dict(event.metadata),
        provisioning_method=event.provisioning_method,
        invitation_status=None,
        join_time=at,
    )


def _accepted(event: Membership.InvitationAccepted, at: int, row: Row) -> None:
    row.update(
        status=MembershipStatus.ACTIVE.value,
        invitation_status=InvitationStatus.ACCEPTED.value,
        accepted_at=at,
        join_time=at,
    )


def _resent(event: Membership.InvitationResent, at: int, row: Row) -> None:
    row.update(
        expires_at=to_micros(event.expires_at),
        resent_at=at,
        resent_count=row["resent_count"] + 1,
    )


def _revoked(event: Membership.InvitationRevoked, at: int, row: Row) -> None:
    row.update(status=None, invitation_status=InvitationStatus.REVOKED.value)


def _expired(event: Membership.InvitationExpired, at: int, row: Row) -> None:
    row.update(
        status=MembershipStatus.INVITE_EXPIRED.value,
        invitation_status=InvitationStatus.EXPIRED.value,
    )


def _roles_changed(event: Membership.RolesChanged, at: int, row: Row) -> None:
    row["roles"] = list(event.roles)


def _metadata_changed(event: Membership.MetadataChanged, at: int, row: Row) -> None:
    row["metadata"] = dict(event.metadata)


def _deactivated(event: Membership.Deactivated, at: int, row: Row) -> None:
    row["status"] = MembershipStatus.INACTIVE.value


def _reactivated(event: Membership.Reactivated, at: int, row: Row) -> None:
    row["status"] = MembershipStatus.ACTIVE.value


def _removed(event: Membership.Removed, at: int, row: Row) -> None:
    row["status"] = None
    if row["invitation_status"] == InvitationStatus.PENDING.value:
        row["invitation_status"] = InvitationStatus.REVOKED.value


def _unchanged(event: Membership.Event, at: int, row: Row) -> None:
    pass


_APPLY: Dispatch[Callable[[Any, int, Mapping[RowRef, Row | None]], Writes]] = Dispatch(
    {
        Organization.Created: _organization_created,
        Organization.Deleted: _organization_deleted,
        Organization.Restored: _organization_restored,
        Membership.Invited: _invited,
        Membership.Provisioned: _provisioned,
    },
    default=_changed,
)
_CHANGES: Dispatch[Callable[[Any, int, Row], None]] = Dispatch(
    {
        Membership.Reinvited: _reinvited,
        Membership.Reprovisioned: _reprovisioned,
        Membership.InvitationAccepted: _accepted,
        Membership.InvitationResent: _resent,
        Membership.InvitationRevoked: _revoked,
        Membership.InvitationExpired: _expired,
        Membership.RolesChanged: _roles_changed,
        Membership.MetadataChanged: _metadata_changed,
        Membership.Deactivated: _deactivated,
        Membership.Reactivated: _reactivated,
        Membership.Removed: _removed,
    },
    default=_unchanged,
)
"""What a later event of a membership changes in its row (the row as it was, changed in
place; ``at`` is the event's time in microseconds)."""


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
