"""Lists and search, read from the projections.

Read your writes: each waits until the projection includes the log's head as of the request (so
every write acknowledged before it), at most the router's ``read_timeout``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response

from tenantry.adapters.http.routing import Lists, OrgId, Routes, context_of, json_response
from tenantry.projections import dto as pdto

routes = Routes("organizations")

PageSize = Annotated[int | None, Query(description="Items per page.")]
PageToken = Annotated[str | None, Query(max_length=2000, description="From the last page.")]
MemberStatus = Literal["ACTIVE", "INACTIVE", "PENDING_INVITE", "INVITE_EXPIRED"]


async def _lists(request: Request) -> Lists:
    lists = context_of(request).lists
    if lists is None:  # the router mounts these routes only with projections
        raise LookupError("this router has no projections")
    return lists


Views = Annotated[Lists, Depends(_lists)]


@routes.get(
    "/api/v1/organizations",
    summary="List organizations",
    description="page_size 10-100 (default 30), oldest first.",
    response_model=pdto.OrganizationPage,
)
def list_organizations(
    views: Views,
    page_size: PageSize = None,
    page_token: PageToken = None,
    external_id: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    page = views.store.list_organizations(
        page_size=page_size,
        page_token=page_token,
        external_id=external_id,
        min_position=views.store.head(),
        timeout=views.timeout,
    )
    return json_response(page)


@routes.get(
    "/api/v1/organizations:search",
    summary="Search organizations",
    description="query: 3-100 characters, case-insensitive over name, id and external id; "
    "page_size 1-30.",
    response_model=pdto.OrganizationPage,
)
def search_organizations(
    views: Views,
    query: Annotated[str, Query(max_length=100)],
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    page = views.store.search_organizations(
        query,
        page_size=page_size,
        page_token=page_token,
        min_position=views.store.head(),
        timeout=views.timeout,
    )
    return json_response(page)


@routes.get(
    "/api/v1/organizations/{organization_id}/users",
    tags=["members"],
    summary="List an organization's members",
    description="page_size 1-100 (default 30).",
    response_model=pdto.MemberPage,
)
def list_members(
    views: Views,
    organization_id: OrgId,
    page_size: PageSize = None,
    page_token: PageToken = None,
    status: Annotated[MemberStatus | None, Query()] = None,
) -> Response:
    page = views.store.list_members(
        organization_id,
        status=status,
        page_size=page_size,
        page_token=page_token,
        min_position=views.store.head(),
        timeout=views.timeout,
    )
    return json_response(page)
