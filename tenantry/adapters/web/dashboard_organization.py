"""One organization in the dashboard: its settings, seat usage, members and invitations, SSO
connections, directories and domains (each section links to its own pages), and its portal
links — a shareable 7-day link is generated here, shown once, listed and revoked."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Query, Request, Response
from starlette.datastructures import FormData

from tenantry.adapters.web.console import Console, ConsoleDep
from tenantry.adapters.web.csrf import CheckedForm
from tenantry.adapters.web.dashboard_deps import App, Views, read_your_writes
from tenantry.adapters.web.dashboard_timeline import organization_rows
from tenantry.adapters.web.pages import page_router
from tenantry.adapters.web.templating import render
from tenantry.application.app import Tenantry
from tenantry.application.portal_link_dto import PortalLink
from tenantry.domain.errors import InvalidField, NothingChanged
from tenantry.domain.portal_link_values import DEFAULT_FEATURES, PORTAL_FEATURES
from tenantry.projections.queries import MEMBER_PAGE_SIZE

router = page_router()

ORG: Final = "/dashboard/organizations/{organization_id}"
PREVIEW: Final = 10
"""Members and invitations shown on the organization's page (the members page has them all)."""
FEATURE_NAMES: Final = {
    "sso": "Single sign-on",
    "dir_sync": "Directory sync (SCIM)",
    "domain_verification": "Domains",
}
MemberStatus = Annotated[
    str | None, Query(pattern="^(|ACTIVE|INACTIVE|PENDING_INVITE|INVITE_EXPIRED|REMOVED)$")
]
PageToken = Annotated[str | None, Query(max_length=2000)]


def _overview(
    request: Request,
    t: Tenantry,
    views: Views,
    console: Console,
    *,
    new_link: PortalLink | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    chosen: tuple[str, ...] = DEFAULT_FEATURES,
    status_code: int = 200,
) -> Response:
    org_id = console.organization_id
    org = t.get_organization(org_id)
    read = read_your_writes(views)
    context: dict[str, Any] = {
        "console": console,
        "tab": "overview",
        "organization": org,
        "rows": organization_rows(org),
        "usage": t.get_seat_usage(org_id),
        "members": views.list_members(org_id, page_size=PREVIEW, **read),
        "invitations": views.list_members(
            org_id, status="PENDING_INVITE", page_size=PREVIEW, **read
        ),
        "connections": t.list_connections(org_id),
        "directories": t.list_directories(org_id),
        "domains": t.list_domains(org_id),
        "links": t.list_portal_links(org_id),
        "features": [(f, FEATURE_NAMES[f]) for f in PORTAL_FEATURES],
        "chosen": chosen,
        "new_link": new_link,
        "errors": errors or {},
        "notice": notice,
    }
    return render(request, "dashboard/organization.html", context, status_code=status_code)


@router.get(ORG, name="dashboard.organization")
def organization(request: Request, t: App, views: Views, console: ConsoleDep) -> Response:
    return _overview(request, t, views, console)


def _features(form: FormData) -> list[str]:
    return [v for v in form.getlist("features") if isinstance(v, str)]


@router.post(ORG + "/portal-links", name="dashboard.portal_link_generate")
def generate_link(
    request: Request, t: App, views: Views, console: ConsoleDep, form: CheckedForm
) -> Response:
    """A shareable link (7 days, as often as wanted): its location is on this page only."""
    chosen = _features(form)
    try:
        link = t.generate_portal_link(
            console.organization_id, chosen, shareable=True, actor=console.session.actor
        )
    except InvalidField as e:  # no feature chosen, or one that is not a portal feature
        return _overview(
            request,
            t,
            views,
            console,
            errors={"features": e.message},
            chosen=tuple(chosen),
            status_code=400,
        )
    return _overview(request, t, views, console, new_link=link, chosen=tuple(chosen))


@router.post(ORG + "/portal-links/revoke", name="dashboard.portal_links_revoke")
def revoke_links(
    request: Request, t: App, views: Views, console: ConsoleDep, form: CheckedForm
) -> Response:
    link_id = form.get("link_id")
    if isinstance(link_id, str) and link_id:
        try:
            t.revoke_portal_link(console.organization_id, link_id, actor=console.session.actor)
        except NothingChanged:  # revoked in another tab, or over already
            return _overview(request, t, views, console, notice=f"Link {link_id} was over already.")
        notice = f"Link {link_id} revoked: it no longer opens and its sessions ended."
    else:
        revoked = t.revoke_portal_links(console.organization_id, actor=console.session.actor)
        notice = f"{len(revoked)} link(s) revoked: they no longer open and their sessions ended."
    return _overview(request, t, views, console, notice=notice)


@router.get(ORG + "/members", name="dashboard.members")
def members(
    request: Request,
    t: App,
    views: Views,
    console: ConsoleDep,
    status: MemberStatus = None,
    page_token: PageToken = None,
) -> Response:
    org = t.get_organization(console.organization_id)
    page = views.list_members(
        console.organization_id,
        status=status or None,
        page_size=MEMBER_PAGE_SIZE[2],
        page_token=page_token,
        **read_your_writes(views),
    )
    return render(
        request,
        "dashboard/members.html",
        {
            "console": console,
            "tab": "members",
            "organization": org,
            "page": page,
            "status": status or "",
        },
    )
