"""Audit log: every recorded change across organizations, in log order, with actor, time and
what changed (the event's own fields)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from uuid import UUID

from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.membership import KeyClaim, Membership, User
from tenantry.domain.organization import Organization
from tenantry.projections.base import Projection, Row, RowRef, Writes, public_id, to_micros

_BASE_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "actor",
    "reason",
    "originator_topic",
}


def event_data(event: DomainEvent) -> dict[str, Any]:
    """The event's own fields, JSON-ready: what the change was."""
    return event.model_dump(mode="json", exclude=_BASE_FIELDS)


_NAMES_ITS_ORGANIZATION = (Membership.Invited, Membership.Provisioned, KeyClaim.Event)


def _owner(event: DomainEvent) -> UUID | None:
    """The organization an event names itself (creation of a membership, a key claim)."""
    if isinstance(event, Organization.Event):
        return event.originator_id
    if isinstance(event, _NAMES_ITS_ORGANIZATION):
        org: UUID | None = getattr(event, "organization_id", None)
        return org
    return None


class AuditProjection(Projection):
    """Tables: ``audit`` (key ``position``: one row per event) and ``audit_owners`` (key
    ``aggregate_id``: the organization a membership or key claim belongs to, for the events that
    do not name it)."""

    name = "audit"
    version = 1
    handles = (Organization.Event, Membership.Event, User.Event, KeyClaim.Event)
    tables: ClassVar[dict[str, str]] = {"audit": "position", "audit_owners": "aggregate_id"}

    def reads(self, event: DomainEvent) -> Iterable[RowRef]:
        if isinstance(event, Organization.Event) or _owner(event) is not None:
            return []
        return [("audit_owners", event.originator_id.hex)]

    def apply(self, event: DomainEvent, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        out: Writes = {}
        owner = _owner(event)
        org_id: str | None
        if owner is not None:
            org_id = public_id(ids.ORG, owner)
            if not isinstance(event, Organization.Event):
                out[("audit_owners", event.originator_id.hex)] = {
                    "aggregate_id": event.originator_id.hex,
                    "organization_id": org_id,
                }
        else:
            known = rows.get(("audit_owners", event.originator_id.hex))
            org_id = known["organization_id"] if known else None
        name = type(event).__qualname__
        out[("audit", position)] = {
            "position": position,
            "organization_id": org_id,
            "aggregate": name.partition(".")[0],
            "aggregate_id": event.originator_id.hex,
            "version": event.originator_version,
            "event": name,
            "timestamp": to_micros(event.timestamp),
            "actor": event.actor,
            "reason": event.reason,
            "data": event_data(event),
        }
        return out
