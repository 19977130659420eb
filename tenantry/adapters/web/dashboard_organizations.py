"""The dashboard's front page: every organization, paged, and a search over names, ids and
external ids (both read from the projections)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Query, Request, Response

from tenantry.adapters.web.dashboard_deps import Views, read_your_writes
from tenantry.adapters.web.pages import page_router
from tenantry.adapters.web.sessions import SessionDep
from tenantry.adapters.web.templating import render
from tenantry.domain.errors import InvalidField
from tenantry.projections.queries import QUERY_LENGTH

router = page_router()

PAGE_SIZE: Final = 20
SearchText = Annotated[str | None, Query(max_length=QUERY_LENGTH[1])]
PageToken = Annotated[str | None, Query(max_length=2000)]


@router.get("/dashboard/organizations", name="dashboard.organizations")
def organizations(
    request: Request,
    session: SessionDep,
    views: Views,
    q: SearchText = None,
    page_token: PageToken = None,
) -> Response:
    query = (q or "").strip()
    error = None
    page = None
    try:
        if query:
            page = views.search_organizations(
                query, page_size=PAGE_SIZE, page_token=page_token, **read_your_writes(views)
            )
        else:
            page = views.list_organizations(
                page_size=PAGE_SIZE, page_token=page_token, **read_your_writes(views)
            )
    except InvalidField as e:  # a search too short, a stale page token: said on the form
        error = e.message
    return render(
        request,
        "dashboard/organizations.html",
        {"page": page, "query": query, "errors": {"q": error} if error else {}},
        status_code=400 if error else 200,
    )
