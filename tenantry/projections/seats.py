"""Seat counting: per organization its limit, active members and pending invitations with their
expiry, so an expired invitation stops counting at query time even before any sweep ran."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.organization import Organization
from tenantry.projections.base import Projection, Row, RowRef, Writes, public_id, to_micros


def pending_key(organization_id: str, user_id: str) -> str:
    return f"{organization_id}/{user_id}"


class SeatsProjection(Projection):
    """Tables: ``seats`` (key ``organization_id``: limit and active members) and ``seat_pending``
    (key ``organization_id/user_id``: one pending invitation and its ``expires_at``).

    Seats in use at ``now`` = active members + pending rows with ``expires_at > now`` — the
    aggregate's rule (:meth:`Organization.seats_in_use`)."""

    name = "seats"
    version = 1
    handles = (
        Organization.Created,
        Organization.LimitSet,
        Organization.Deleted,
        Organization.SeatEvent,
    )
    tables: ClassVar[dict[str, str]] = {"seats": "organization_id", "seat_pending": "key"}

    def reads(self, event: DomainEvent) -> Iterable[RowRef]:
        org_id = public_id(ids.ORG, event.originator_id)
        refs: list[RowRef] = [("seats", org_id)]
        if isinstance(event, Organization.SeatEvent):
            refs.append(("seat_pending", pending_key(org_id, public_id(ids.USER, event.user_id))))
        return refs

    def apply(self, event: DomainEvent, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        org_id = public_id(ids.ORG, event.originator_id)
        ref: RowRef = ("seats", org_id)
        if isinstance(event, Organization.Created):
            return {ref: {"organization_id": org_id, "max_allowed_users": None, "active": 0}}
        seat = rows.get(ref)
        if seat is None:
            return {}
        if isinstance(event, Organization.Deleted):
            return {ref: None}
        if isinstance(event, Organization.LimitSet):
            return {ref: {**seat, "max_allowed_users": event.max_allowed_users}}
        if not isinstance(event, Organization.SeatEvent):
            return {}
        user_id = public_id(ids.USER, event.user_id)
        pref: RowRef = ("seat_pending", pending_key(org_id, user_id))
        active = seat["active"]
        out: Writes = {}
        if isinstance(event, Organization.MemberInvited | Organization.InvitationResent):
            out[pref] = {
                "key": pref[1],
                "organization_id": org_id,
                "user_id": user_id,
                "expires_at": to_micros(event.expires_at),
            }
        elif isinstance(
            event,
            Organization.InvitationAccepted
            | Organization.InvitationRevoked
            | Organization.InvitationExpired,
        ) or (
            isinstance(event, Organization.MemberRemoved)
            and event.previous_status == "PENDING_INVITE"
        ):
            out[pref] = None
        if isinstance(
            event,
            Organization.MemberAdded
            | Organization.InvitationAccepted
            | Organization.MemberReactivated,
        ):
            active += 1
        elif isinstance(event, Organization.MemberDeactivated) or (
            isinstance(event, Organization.MemberRemoved) and event.previous_status == "ACTIVE"
        ):
            active -= 1
        if pref in out and out[pref] is None and rows.get(pref) is None:
            del out[pref]  # nothing to delete
        if active != seat["active"]:
            out[ref] = {**seat, "active": active}
        return out
