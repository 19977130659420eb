"""An organization's past in the dashboard: its history as a timeline (who, when, what changed,
before → after), newest first and paged; the organization as it was at any version of it, with
its members and seats then, stepping back and forward; and its seat usage over time as a chart
with the same points in a table. All replayed by the application from the event log."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from tenantry.adapters.web.console import ConsoleDep
from tenantry.adapters.web.dashboard_chart import seat_chart
from tenantry.adapters.web.dashboard_deps import App
from tenantry.adapters.web.dashboard_timeline import (
    changed_rows,
    entry_of,
    organization_rows,
    timeline,
    title_of,
    unnamed_users,
    window,
)
from tenantry.adapters.web.pages import page_router
from tenantry.adapters.web.templating import render
from tenantry.application.app import Tenantry
from tenantry.application.seat_history import LAPSED, NOW
from tenantry.domain.errors import UserNotFound, VersionNotFound

router = page_router()

ORG: Final = "/dashboard/organizations/{organization_id}"
VERSION_MAX: Final = 2**31 - 1
MEMBERS_THEN_MAX: Final = 200
"""An as-of page lists the members then only up to this many seats (each is replayed)."""
TABLE_ROWS: Final = 500
"""The seat table shows at most the latest this many points (the chart shows all)."""

CAUSES: Final = {LAPSED: "An invitation expired", NOW: "(now)"}

To = Annotated[int | None, Query(ge=1, le=VERSION_MAX, description="The newest version shown.")]
Version = Annotated[int, Path(ge=1, le=VERSION_MAX)]
Moment = Annotated[datetime, Query(description="A moment, e.g. from a datetime-local field.")]


def emails_of(t: Tenantry, users: set[str]) -> dict[str, str]:
    """The e-mails of the users that still exist (a deleted user stays an id)."""
    found = {}
    for user in users:
        with contextlib.suppress(UserNotFound):
            found[user] = t.get_user(user).email
    return found


@router.get(ORG + "/history", name="dashboard.history")
def history(request: Request, t: App, console: ConsoleDep, to: To = None) -> Response:
    org = t.get_organization(console.organization_id)
    page = window(org.version, to)
    found = t.list_history(console.organization_id, from_version=page.first, limit=page.limit)
    entries = timeline(found, emails_of(t, unnamed_users(found)))
    return render(
        request,
        "dashboard/history.html",
        {
            "console": console,
            "tab": "history",
            "organization": org,
            "entries": entries,
            "window": page,
            "head": org.version,
        },
    )


@router.get(ORG + "/history/at", name="dashboard.as_of_moment")
def as_of_moment(console: ConsoleDep, t: App, moment: Moment) -> Response:
    """The version in force at ``moment`` (UTC if it has no zone): the last one recorded by then
    (:class:`VersionNotFound` before the organization was created)."""
    try:
        version = t.get_organization_as_of(console.organization_id, at=moment).version
    except VersionNotFound:  # deleted then (or not yet created): found from the history
        version = t.diff_organization(console.organization_id, from_=moment).from_version
    return RedirectResponse(console.url(f"/history/{version}"), status_code=303)


@router.get(ORG + "/history/{version}", name="dashboard.as_of")
def as_of(request: Request, t: App, console: ConsoleDep, version: Version) -> Response:
    """The organization at ``version``: its settings, members and seats then, the event that
    made that version, and what changed from then to now."""
    org_id = console.organization_id
    now = t.get_organization(org_id)
    if version > now.version:
        raise VersionNotFound(org_id, f"version {version}")
    [found] = t.list_history(org_id, from_version=version, limit=1)
    entry = entry_of(found, emails_of(t, unnamed_users([found])))
    context: dict[str, Any] = {
        "console": console,
        "tab": "history",
        "organization": now,
        "version": version,
        "head": now.version,
        "entry": entry,
        "then": None,
        "snapshot": None,
        "since": [],
    }
    try:
        then = t.get_organization_as_of(org_id, version=version)
    except VersionNotFound:  # deleted at this version: there is no organization to show
        return render(request, "dashboard/as_of.html", context)
    rows = organization_rows(then)
    context.update(then=then, rows=rows, since=changed_rows(rows, organization_rows(now)))
    if then.seats_in_use <= MEMBERS_THEN_MAX:  # each membership is replayed: keep it bounded
        context["snapshot"] = t.get_organization_snapshot(org_id, version=version)
    return render(request, "dashboard/as_of.html", context)


@router.get(ORG + "/seats", name="dashboard.seats")
def seats(request: Request, t: App, console: ConsoleDep) -> Response:
    org = t.get_organization(console.organization_id)
    points = t.list_seat_history(console.organization_id)
    title = f"Seats in use over time, {org.display_name}"
    return render(
        request,
        "dashboard/seats.html",
        {
            "console": console,
            "tab": "seats",
            "organization": org,
            "chart": seat_chart(points, title=title),
            "rows": [(p, CAUSES.get(p.cause) or title_of(p.cause)) for p in reversed(points)][
                :TABLE_ROWS
            ],
            "total": len(points),
        },
    )
