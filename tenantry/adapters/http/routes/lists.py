"""Lists and search, read from the projections.

Read your writes: each waits until the projection includes the log's head as of the request (so
every write acknowledged before it), at most the router's ``read_timeout``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response

from tenantry.adapters.http import schemas
from tenantry.adapters.http.access import Access
from tenantry.adapters.http.routing import App, Lists, OrgId, Routes, context_of, json_response
from tenantry.domain.values import EXTERNAL_ID_MAX
from tenantry.projections import dto as pdto
from tenantry.projections.queries import (
    MEMBER_PAGE_SIZE,
    ORG_PAGE_SIZE,
    QUERY_LENGTH,
    SEARCH_PAGE_SIZE,
)

routes = Routes("organizations")


def _page_size(bounds: tuple[int, int, int]) -> Any:
    low, high, default = bounds
    return Query(ge=low, le=high, description=f"Items per page (default {default}).")


OrgPageSize = Annotated[int | None, _page_size(ORG_PAGE_SIZE)]
SearchPageSize = Annotated[int | None, _page_size(SEARCH_PAGE_SIZE)]
MemberPageSize = Annotated[int | None, _page_size(MEMBER_PAGE_SIZE)]
PageToken = Annotated[str | None, Query(max_length=2000, description="From the last page.")]
SearchQuery = Annotated[str, Query(min_length=QUERY_LENGTH[0], max_length=QUERY_LENGTH[1])]
ExternalIdFilter = Annotated[str | None, Query(max_length=EXTERNAL_ID_MAX)]
MemberStatus = Literal["ACTIVE", "INACTIVE", "PENDING_INVITE", "INVITE_EXPIRED", "REMOVED"]


async def _lists(request: Request) -> Lists:
    lists = context_of(request).lists
    if lists is None:  # the router mounts these routes only with projections
        raise LookupError("this router has no projections")
    return lists


Views = Annotated[Lists, Depends(_lists)]


@routes.get(
    "/api/v1/organizations",
    summary="List organizations",
    description="Oldest first.",
    response_model=pdto.OrganizationPage,
)
def list_organizations(
    views: Views,
    access: Access,
    page_size: OrgPageSize = None,
    page_token: PageToken = None,
    external_id: ExternalIdFilter = None,
) -> Response:
    page = views.store.list_organizations(
        page_size=page_size,
        page_token=page_token,
        external_id=external_id,
        within=access.organizations,
        **views.read_your_writes(),
    )
    return json_response(page)


@routes.get(
    "/api/v1/organizations:search",
    summary="Search organizations",
    description="Case-insensitive over name, id and external id.",
    response_model=pdto.OrganizationPage,
)
def search_organizations(
    views: Views,
    access: Access,
    query: SearchQuery,
    page_size: SearchPageSize = None,
    page_token: PageToken = None,
) -> Response:
    page = views.store.search_organizations(
        query,
        page_size=page_size,
        page_token=page_token,
        within=access.organizations,
        **views.read_your_writes(),
    )
    return json_response(page)


@routes.get(
    "/api/v1/organizations/{organization_id}/users",
    tags=["members"],
    summary="List an organization's members",
    response_model=schemas.UserPage,
)
def list_members(
    t: App,
    views: Views,
    organization_id: OrgId,
    page_size: MemberPageSize = None,
    page_token: PageToken = None,
    status: Annotated[MemberStatus | None, Query()] = None,
) -> Response:
    page = views.store.list_members(
        organization_id,
        status=status,
        page_size=page_size,
        page_token=page_token,
        **views.read_your_writes(),
    )
    name = t.get_organization(organization_id).display_name
    page = page.model_copy(update={"members": t.with_role_details(page.members)})
    return json_response(schemas.UserPage.of(page, name))
