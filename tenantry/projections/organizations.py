"""Organization listing and search: one row per live organization, with what a list shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from tenantry.domain import ids
from tenantry.domain.base import DomainEvent
from tenantry.domain.organization import Organization
from tenantry.domain.values import Feature
from tenantry.projections.base import Projection, Row, RowRef, Writes, public_id, to_micros

COUNT_KEY = "live"
_COUNTED = (Organization.Created, Organization.Deleted)


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
            return [ref, ("orgs_count", COUNT_KEY)]
        return [ref]

    def apply(self, event: DomainEvent, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        org_id = public_id(ids.ORG, event.originator_id)
        ref: RowRef = ("orgs", org_id)
        count_ref: RowRef = ("orgs_count", COUNT_KEY)
        at = to_micros(event.timestamp)
        if isinstance(event, Organization.Created):
            row: Row = {
                "id": org_id,
                "seq": position,
                "display_name": event.display_name,
                "external_id": event.external_id,
                "slug": event.slug,
                "logo_url": event.logo_url,
                "region_code": event.region_code,
                "metadata": dict(event.metadata),
                "features": {},
                "create_time": at,
                "update_time": at,
                "version": event.originator_version,
            }
            row["search"] = search_text(row)
            return {ref: row, count_ref: _count(rows.get(count_ref), +1)}
        old = rows.get(ref)
        if old is None:
            return {}
        if isinstance(event, Organization.Deleted):
            return {ref: None, count_ref: _count(rows.get(count_ref), -1)}
        new = {**old, "update_time": at, "version": event.originator_version}
        if isinstance(event, Organization.Renamed):
            new["display_name"] = event.display_name
            new["search"] = search_text(new)
        elif isinstance(event, Organization.ExternalIdChanged):
            new["external_id"] = event.external_id
            new["search"] = search_text(new)
        elif isinstance(event, Organization.SlugChanged):
            new["slug"] = event.slug
        elif isinstance(event, Organization.LogoChanged):
            new["logo_url"] = event.logo_url
        elif isinstance(event, Organization.MetadataChanged):
            new["metadata"] = dict(event.metadata)
        elif isinstance(event, Organization.FeatureToggled):
            new["features"] = {**old["features"], event.name: event.enabled}
        return {ref: new}


def _count(row: Row | None, delta: int) -> Row:
    return {"key": COUNT_KEY, "n": (row["n"] if row else 0) + delta}


def feature_list(features: Mapping[str, bool]) -> list[tuple[str, bool]]:
    """Every known feature with its state, in the order the API shows them."""
    return [(f.value, bool(features.get(f.value, False))) for f in Feature]
