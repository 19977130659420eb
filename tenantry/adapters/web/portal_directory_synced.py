"""The users and groups a SCIM directory synced, a page at a time in the order the directory
created them (a disabled directory's too: disabling stops provisioning, not what it synced)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Query, Request, Response

from tenantry.adapters.web.console import ConsoleDep
from tenantry.adapters.web.context import tenantry_of
from tenantry.adapters.web.portal_directory_mapping import role_of
from tenantry.adapters.web.templating import render

FEATURE: Final = "dir_sync"
PAGE_SIZE: Final = 25
PageToken = Annotated[str | None, Query(max_length=64)]


def directory_users(
    request: Request, console: ConsoleDep, directory_id: str, page_token: PageToken = None
) -> Response:
    console.require(FEATURE)
    t = tenantry_of(request)
    directory = t.get_directory(console.organization_id, directory_id)
    page = t.list_directory_users(
        console.organization_id, directory_id, page_size=PAGE_SIZE, page_token=page_token or None
    )
    return render(
        request,
        "directories/users.html",
        {"console": console, "directory": directory, "page": page, "paged": bool(page_token)},
    )


def directory_groups(
    request: Request, console: ConsoleDep, directory_id: str, page_token: PageToken = None
) -> Response:
    console.require(FEATURE)
    t = tenantry_of(request)
    directory = t.get_directory(console.organization_id, directory_id)
    page = t.list_directory_groups(
        console.organization_id, directory_id, page_size=PAGE_SIZE, page_token=page_token or None
    )
    return render(
        request,
        "directories/groups.html",
        {
            "console": console,
            "directory": directory,
            "page": page,
            "paged": bool(page_token),
            "groups": [(g, role_of(directory, g.display_name)) for g in page.groups],
        },
    )
