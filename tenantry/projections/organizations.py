"""Organization listing and search: one row per live organization, with what a list shows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.organization import Organization
from tenantry.projections.base import Projection, Row, RowRef, Writes, public_id, to_micros
from tenantry.projections.dispatch import Dispatch

COUNT_KEY = "live"
_COUNTED = (Organization.Created, Organization.Deleted, Organization.Restored)


def search_text(row: Mapping[str, Any]) -> str:
    """What search matches: display name, id and external id, lowercased, one per line."""
    parts = [row["display_name"], row["id"], row["external_id"] or ""]
    return "\n".join(p.lower() for p in parts)


class OrganizationsProjection(Projection):
    """Tables: ``orgs`` (key ``id``, the public ``org_`` id; ``seq`` is the log position of the
    creation, the stable listing order) and ``orgs_count`` (one row: how many are live)."""

    name = "organizations"
    version = 1
    handles = (Organization.Event,)
    tables: ClassVar[dict[str, str]] = {"orgs": "id", "orgs_count": "key"}

    def reads(self, event: DomainEvent) -> Iterable[RowRef]:
        ref: RowRef = ("orgs", public_id(ids.ORG, event.originator_id))
        if isinstance(event, _COUNTED):
            return [ref, _COUNT_REF]
        return [ref]

    def apply(self, event: DomainEvent, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        return _APPLY[type(event)](event, position, rows)


_COUNT_REF: RowRef = ("orgs_count", COUNT_KEY)


def _created(
    event: Organization.Created, position: int, rows: Mapping[RowRef, Row | None]
) -> Writes:
    return _listed(event, position, rows, features={}, create_time=to_micros(event.timestamp))


def _listed(
    event: Organization.Created | Organization.Restored,
    position: int,
    rows: Mapping[RowRef, Row | None],
    *,
    features: dict[str, bool],
    create_time: int,
) -> Writes:
    """The row of an organization listed from now on (``seq``: this event's position)."""
    org_id = public_id(ids.ORG, event.originator_id)
    row: Row = {
        "id": org_id,
        "seq": position,
        "display_name": event.display_name,
        "external_id": event.external_id,
        "slug": event.slug,
        "logo_url": event.logo_url,
        "region_code": event.region_code,
        "metadata": dict(event.metadata),
        "features": features,
        "create_time": create_time,
        "update_time": to_micros(event.timestamp),
        "version": event.originator_version,
    }
    row["search"] = search_text(row)
    return {("orgs", org_id): row, _COUNT_REF: _count(rows.get(_COUNT_REF), +1)}


def _restored(
    event: Organization.Restored, position: int, rows: Mapping[RowRef, Row | None]
) -> Writes:
    """Listed again (its deletion dropped the row), after the organizations created meanwhile:
    ``seq`` is the restore's position."""
    if rows.get(("orgs", public_id(ids.ORG, event.originator_id))) is not None:
        return {}
    created = to_micros(event.created_on)
    return _listed(event, position, rows, features=dict(event.features), create_time=created)


def _deleted(
    event: Organization.Deleted, position: int, rows: Mapping[RowRef, Row | None]
) -> Writes:
    ref: RowRef = ("orgs", public_id(ids.ORG, event.originator_id))
    if rows.get(ref) is None:
        return {}
    return {ref: None, _COUNT_REF: _count(rows.get(_COUNT_REF), -1)}


def _updated(event: Organization.Event, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
    """Every other event of a listed organization moves its update time and version (a seat
    or policy change too), and some change a field (:data:`_CHANGES`)."""
    ref: RowRef = ("orgs", public_id(ids.ORG, event.originator_id))
    old = rows.get(ref)
    if old is None:
        return {}
    new = {**old, "update_time": to_micros(event.timestamp), "version": event.originator_version}
    _CHANGES[type(event)](event, new)
    return {ref: new}


def _count(row: Row | None, delta: int) -> Row:
    return {"key": COUNT_KEY, "n": (row["n"] if row else 0) + delta}


def _renamed(event: Organization.Renamed, row: Row) -> None:
    row["display_name"] = event.display_name
    row["search"] = search_text(row)


def _external_id_changed(event: Organization.ExternalIdChanged, row: Row) -> None:
    row["external_id"] = event.external_id
    row["search"] = search_text(row)


def _slug_changed(event: Organization.SlugChanged, row: Row) -> None:
    row["slug"] = event.slug


def _logo_changed(event: Organization.LogoChanged, row: Row) -> None:
    row["logo_url"] = event.logo_url


def _metadata_changed(event: Organization.MetadataChanged, row: Row) -> None:
    row["metadata"] = dict(event.metadata)


def _feature_toggled(event: Organization.FeatureToggled, row: Row) -> None:
    row["features"] = {**row["features"], event.name: event.enabled}


def _no_field(event: Organization.Event, row: Row) -> None:
    pass


_APPLY: Dispatch[Callable[[Any, int, Mapping[RowRef, Row | None]], Writes]] = Dispatch(
    {
        Organization.Created: _created,
        Organization.Deleted: _deleted,
        Organization.Restored: _restored,
    },
    default=_updated,
)
_CHANGES: Dispatch[Callable[[Any, Row], None]] = Dispatch(
    {
        Organization.Renamed: _renamed,
        Organization.ExternalIdChanged: _external_id_changed,
        Organization.SlugChanged: _slug_changed,
        Organization.LogoChanged: _logo_changed,
        Organization.MetadataChanged: _metadata_changed,
        Organization.FeatureToggled: _feature_toggled,
    },
    default=_no_field,
)
"""What an event changes in a listed organization's row, besides its time and version."""
