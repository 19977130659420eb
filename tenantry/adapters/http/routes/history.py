"""History, time travel and the audit log: an organization's recorded changes (its members'
too), the organization as it was, what changed between two points, and the environment-wide
audit log. The logs are read from the audit projection (paged like the lists, read your writes);
the past states and diffs are replayed from the event log by the application."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Response
from pydantic import TypeAdapter, ValidationError

from tenantry.adapters.http.access import Access
from tenantry.adapters.http.routes.lists import PageToken, Views
from tenantry.adapters.http.routing import App, Lists, OrgId, Routes, json_response
from tenantry.adapters.moments import Moment
from tenantry.application import dto
from tenantry.domain.errors import InvalidField, OrganizationNotFound, PermissionDenied
from tenantry.projections import dto as pdto
from tenantry.projections.queries import AUDIT_PAGE_SIZE

routes = Routes("history")

_MOMENT: Any = TypeAdapter(datetime)
_TEXT_MAX = 255

AuditPageSize = Annotated[
    int | None,
    Query(
        ge=AUDIT_PAGE_SIZE[0],
        le=AUDIT_PAGE_SIZE[1],
        description=f"Items per page (default {AUDIT_PAGE_SIZE[2]}).",
    ),
]
EventType = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Only events of this type, e.g. `Organization.Renamed`, "
        "`Membership.RolesChanged`.",
    ),
]


Since = Annotated[
    Moment | None,
    Query(alias="from", description="Only events recorded at or after this time (RFC 3339)."),
]
Until = Annotated[
    Moment | None,
    Query(alias="to", description="Only events recorded before this time (RFC 3339)."),
]
Actor = Annotated[
    str | None,
    Query(max_length=_TEXT_MAX, description="Only events by this actor (`client:<id>`, …)."),
]
OnBehalfOf = Annotated[
    str | None,
    Query(max_length=_TEXT_MAX, description="Only events made for this end user."),
]


@dataclass(frozen=True)
class AuditFilters:
    """The filters and page of an audit log query (query parameters)."""

    page_size: AuditPageSize = None
    page_token: PageToken = None
    event_type: EventType = None
    since: Since = None
    until: Until = None
    actor: Actor = None
    on_behalf_of: OnBehalfOf = None

    def page(self, views: Lists, organization_id: str | None) -> Response:
        """This page of the audit log (of one organization, if given), read your writes."""
        page = views.store.list_audit_log(
            organization_id=organization_id,
            actor=self.actor,
            on_behalf_of=self.on_behalf_of,
            event_type=self.event_type,
            since=self.since,
            until=self.until,
            page_size=self.page_size,
            page_token=self.page_token,
            **views.read_your_writes(),
        )
        return json_response(page)


Filters = Annotated[AuditFilters, Depends()]


class AuditRestricted(PermissionDenied):
    """Raised when a client restricted to some organizations asks for the whole audit log."""

    code = "permission_denied"

    def __init__(self) -> None:
        super().__init__(
            "this API client is restricted to its organizations; name one with organization_id"
        )


@routes.get(
    "/api/v1/organizations/{organization_id}/history",
    summary="An organization's history",
    description="Every recorded change of the organization and of its memberships (roles, "
    "metadata, status), oldest first, with who made it, for whom and what it recorded. "
    "Also for a deleted organization.",
    response_model=pdto.AuditPage,
)
def organization_history(
    t: App, views: Views, organization_id: OrgId, filters: Filters
) -> Response:
    t.list_history(organization_id, limit=1)  # OrganizationNotFound if it never existed
    return filters.page(views, organization_id)


@routes.get(
    "/api/v1/audit",
    summary="The audit log",
    description="Every recorded change in the environment, oldest first (organizations, their "
    "memberships, users, API clients). A client restricted to some organizations must name one "
    "of them.",
    response_model=pdto.AuditPage,
)
def audit_log(
    views: Views,
    access: Access,
    filters: Filters,
    organization_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if access.organizations is not None:
        if organization_id is None:
            raise AuditRestricted()
        if not access.sees(organization_id):  # as if it did not exist
            raise OrganizationNotFound(organization_id)
    return filters.page(views, organization_id)


def _point(value: str, field: str) -> int | datetime:
    """A point of an organization's history: a version number or an RFC 3339 time."""
    if value.isdigit():
        return int(value)
    try:
        moment: datetime = _MOMENT.validate_python(value)
    except ValidationError:
        raise InvalidField(
            field, "must be a version number or an RFC 3339 time, e.g. 2026-11-01T12:00:00Z"
        ) from None
    return moment


@routes.get(
    "/api/v1/organizations/{organization_id}/diff",
    summary="What changed in an organization",
    description="The fields that differ between two points of its history, each a version "
    "number or an RFC 3339 time (the last version recorded by then); `to` defaults to its "
    "last version.",
    response_model=dto.OrganizationDiff,
)
def organization_diff(
    t: App,
    organization_id: OrgId,
    from_: Annotated[str, Query(alias="from", min_length=1, max_length=64)],
    to: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Response:
    diff = t.diff_organization(
        organization_id,
        from_=_point(from_, "from"),
        to=None if to is None else _point(to, "to"),
    )
    return json_response(diff)
