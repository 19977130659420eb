"""Audit log: every recorded change across organizations, in log order, with actor (and the end
user it acted for), time and what changed (the event's own fields, as recorded); API clients'
lifecycle too, with no organization.

It copies what the log records, so it is a :class:`RecordedProjection`: fed the stored fields
as JSON values, it skips validating every event into its model (most of a rebuild's cost)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from tenantry.application.serialization import BASE_FIELDS
from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.connection import Connection
from tenantry.domain.directory import Directory
from tenantry.domain.directory_group import DirectoryGroup
from tenantry.domain.directory_roster import DirectoryRoster
from tenantry.domain.directory_user import DirectoryUser
from tenantry.domain.key_claim import KeyClaim
from tenantry.domain.membership import Membership
from tenantry.domain.org_domain import DomainClaim, OrganizationDomain
from tenantry.domain.organization import Organization
from tenantry.domain.portal_link import PortalLink
from tenantry.domain.roles import RoleBook
from tenantry.domain.sso_registry import SsoRegistry
from tenantry.projections.base import (
    Recorded,
    RecordedProjection,
    Row,
    RowRef,
    Writes,
    public_id,
    public_id_of_text,
    to_micros,
)

_BASE_FIELDS = BASE_FIELDS | {"originator_topic"}


def event_data(event: Recorded) -> dict[str, Any]:
    """The event's own fields, as recorded: what the change was (the ids it names as public
    ids: ``org_…``, ``usr_…``, ``inv_…``)."""
    data = dict(event.state)
    pop = data.pop
    for name in _BASE_FIELDS:  # (faster than a comprehension that tests every field)
        pop(name, None)
    return ids.with_public_ids(data)


_NAMES_ITS_ORGANIZATION: tuple[type[DomainEvent], ...] = (
    Membership.Invited,
    Membership.Provisioned,
    KeyClaim.Event,
    RoleBook.Opened,
    # SSO: a connection's, domain's or register's first event names its organization
    Connection.Event,
    OrganizationDomain.Event,
    DomainClaim.Event,
    SsoRegistry.Event,
    Directory.Event,  # SCIM: a directory's first event names its organization
    DirectoryUser.Event,  # provisioning: so does a SCIM user's, group's, roster's
    DirectoryGroup.Event,
    DirectoryRoster.Event,
    PortalLink.Event,  # a portal link's first event names its organization
)


@dataclass(frozen=True, slots=True)
class _Kind:
    """What the audit needs to know of an event class, worked out once per class."""

    aggregate: str
    event: str
    of_organization: bool
    """An organization's own event: the organization is its originator."""
    names_organization: bool
    """An event that may name its organization (creation of a membership, a key claim)."""


class _Kinds(dict[type[DomainEvent], _Kind]):
    """The :class:`_Kind` of each event class, looked up as a dict (worked out on a miss)."""

    def __missing__(self, cls: type[DomainEvent]) -> _Kind:
        name = cls.__qualname__
        kind = self[cls] = _Kind(
            aggregate=name.partition(".")[0],
            event=name,
            of_organization=issubclass(cls, Organization.Event),
            names_organization=issubclass(cls, _NAMES_ITS_ORGANIZATION),
        )
        return kind


_KINDS = _Kinds()


def _names_its_organization(event: Recorded, kind: _Kind) -> bool:
    return kind.of_organization or (
        kind.names_organization and event.state.get("organization_id") is not None
    )


def _owner(event: Recorded, kind: _Kind) -> str | None:
    """The ``org_`` id of the organization an event names itself, if it does."""
    if kind.of_organization:
        return public_id(ids.ORG, event.originator_id)
    if _names_its_organization(event, kind):
        return public_id_of_text(ids.ORG, event.state["organization_id"])
    return None


class AuditProjection(RecordedProjection):
    """Tables: ``audit`` (key ``position``: one row per event) and ``audit_owners`` (key
    ``aggregate_id``: the organization a membership or key claim belongs to, for the events that
    do not name it)."""

    name = "audit"
    version = 3  # 2: on_behalf_of; 3: public ids in data
    handles = (DomainEvent,)  # every event of every aggregate: nothing escapes the audit
    tables: ClassVar[dict[str, str]] = {"audit": "position", "audit_owners": "aggregate_id"}

    def reads(self, event: Recorded) -> Iterable[RowRef]:
        if _names_its_organization(event, _KINDS[event.event_type]):
            return ()
        return (("audit_owners", f"{event.originator_id.int:032x}"),)

    def apply(self, event: Recorded, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        kind = _KINDS[event.event_type]
        aggregate_id = f"{event.originator_id.int:032x}"  # UUID.hex, without its property call
        state = event.state
        out: Writes = {}
        org_id = _owner(event, kind)
        if org_id is None:
            known = rows.get(("audit_owners", aggregate_id))
            org_id = known["organization_id"] if known else None
        elif not kind.of_organization:
            out[("audit_owners", aggregate_id)] = {
                "aggregate_id": aggregate_id,
                "organization_id": org_id,
            }
        out[("audit", position)] = {
            "position": position,
            "organization_id": org_id,
            "aggregate": kind.aggregate,
            "aggregate_id": aggregate_id,
            "version": event.originator_version,
            "event": kind.event,
            "timestamp": to_micros(datetime.fromisoformat(state["timestamp"])),
            "actor": state["actor"],
            "reason": state.get("reason"),
            "on_behalf_of": state.get("on_behalf_of"),
            "data": event_data(event),
        }
        return out
