"""Seat counting: per organization its limit, active members and pending invitations with their
expiry, so an expired invitation stops counting at query time even before any sweep ran."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeAlias

from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.organization import Organization
from tenantry.projections.base import Projection, Row, RowRef, Writes, public_id, to_micros
from tenantry.projections.dispatch import Dispatch

_Rows: TypeAlias = Mapping[RowRef, Row | None]


def pending_key(organization_id: str, user_id: str) -> str:
    return f"{organization_id}/{user_id}"


class SeatsProjection(Projection):
    """Tables: ``seats`` (key ``organization_id``: limit and active members) and ``seat_pending``
    (key ``organization_id/user_id``: one pending invitation and its ``expires_at``).

    Seats in use at ``now`` = active members + pending rows with ``expires_at > now`` — the
    aggregate's rule (:meth:`Organization.seats_in_use`)."""

    name = "seats"
    version = 2  # 2: seat_pending indexed by expiry for the expiry sweep
    handles = (
        Organization.Created,
        Organization.LimitSet,
        Organization.Deleted,
        Organization.SeatEvent,
        Organization.Restored,
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
        if isinstance(event, Organization.Restored):  # its deletion dropped the row
            limit, active = event.max_allowed_users, event.active_members
            return {ref: {"organization_id": org_id, "max_allowed_users": limit, "active": active}}
        seat = rows.get(ref)
        if seat is None:
            return {}  # an organization never created, or deleted
        return _APPLY[type(event)](event, ref, seat, rows)


def _deleted(event: Organization.Deleted, ref: RowRef, seat: Row, rows: _Rows) -> Writes:
    return {ref: None}


def _limit_set(event: Organization.LimitSet, ref: RowRef, seat: Row, rows: _Rows) -> Writes:
    return {ref: {**seat, "max_allowed_users": event.max_allowed_users}}


def _invited(
    event: Organization.MemberInvited | Organization.InvitationResent,
    ref: RowRef,
    seat: Row,
    rows: _Rows,
) -> Writes:
    """An invitation holds a seat until it expires; a resent one, until its new expiry."""
    org_id, user_id = seat["organization_id"], public_id(ids.USER, event.user_id)
    key = pending_key(org_id, user_id)
    return {
        ("seat_pending", key): {
            "key": key,
            "organization_id": org_id,
            "user_id": user_id,
            "expires_at": to_micros(event.expires_at),
        }
    }


def _released(event: Organization.SeatEvent, ref: RowRef, seat: Row, rows: _Rows) -> Writes:
    """A pending invitation stops holding its seat (revoked, expired or removed)."""
    user_id = public_id(ids.USER, event.user_id)
    pending: RowRef = ("seat_pending", pending_key(seat["organization_id"], user_id))
    return {pending: None} if rows.get(pending) is not None else {}


def _accepted(
    event: Organization.InvitationAccepted, ref: RowRef, seat: Row, rows: _Rows
) -> Writes:
    """The invitation's seat becomes an active member's."""
    return {**_released(event, ref, seat, rows), **_active(ref, seat, +1)}


def _joined(event: Organization.SeatEvent, ref: RowRef, seat: Row, rows: _Rows) -> Writes:
    return _active(ref, seat, +1)


def _deactivated(
    event: Organization.MemberDeactivated, ref: RowRef, seat: Row, rows: _Rows
) -> Writes:
    return _active(ref, seat, -1)


def _removed(event: Organization.MemberRemoved, ref: RowRef, seat: Row, rows: _Rows) -> Writes:
    if event.previous_status == "PENDING_INVITE":
        return _released(event, ref, seat, rows)
    if event.previous_status == "ACTIVE":
        return _active(ref, seat, -1)
    return {}


def _no_seat(event: Organization.Event, ref: RowRef, seat: Row, rows: _Rows) -> Writes:
    return {}


def _active(ref: RowRef, seat: Row, delta: int) -> Writes:
    return {ref: {**seat, "active": seat["active"] + delta}}


_APPLY: Dispatch[Callable[[Any, RowRef, Row, _Rows], Writes]] = Dispatch(
    {
        Organization.Deleted: _deleted,
        Organization.LimitSet: _limit_set,
        Organization.MemberInvited: _invited,
        Organization.InvitationResent: _invited,
        Organization.InvitationAccepted: _accepted,
        Organization.InvitationRevoked: _released,
        Organization.InvitationExpired: _released,
        Organization.MemberAdded: _joined,
        Organization.MemberReactivated: _joined,
        Organization.MemberDeactivated: _deactivated,
        Organization.MemberRemoved: _removed,
    },
    default=_no_seat,
)
"""What an event changes in an existing organization's seats."""
