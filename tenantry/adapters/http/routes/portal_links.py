"""An organization's admin-portal links, in the hosted API's shape: generate one
(``PUT …/portal_links?features=sso&features=dir_sync``: ``{"link": {"id", "location",
"expire_time"}}``), list the live ones, revoke all or one (``{}``). A link's ``location`` is
under the server's public base URL (``TENANTRY_SSO_BASE_URL``) and carries the link's secret:
it is answered once, and never stored."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Annotated, Final

from fastapi import Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from tenantry.adapters.http import schemas
from tenantry.adapters.http.idempotency import HEADER
from tenantry.adapters.http.routing import App, By, OrgId, Routes, json_response, written
from tenantry.application.portal_link_dto import PortalLinkInfo
from tenantry.domain.errors import InvalidField, NothingChanged

routes = Routes("portal links")

_LINKS: Final = "/api/v1/organizations/{organization_id}/portal_links"
_LINK: Final = f"{_LINKS}/{{link_id}}"
LinkId = Annotated[str, Path(description="A lnk_ id.", max_length=64)]
NO_REPLAY: Final = (
    "is not accepted when a portal link is generated: a replay would need the link's secret "
    "stored, and only its hash is; retry without it (a retry makes another link)"
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NewLink(_Frozen):
    id: str
    location: str
    expire_time: datetime


class LinkResponse(_Frozen):
    link: NewLink


class LinkList(_Frozen):
    links: list[PortalLinkInfo]


FeatureName = Annotated[str, Field(max_length=64)]
"""A feature's name as a query value (the application names the ones a link may open)."""


@routes.put(
    _LINKS,
    summary="Generate an admin-portal link",
    description="`features` (repeat): some of `sso`, `dir_sync`, `domain_verification` "
    "(default `sso` and `dir_sync`). The link opens once, within a minute; `shareable=true` "
    "makes one that opens as often as wanted for 7 days. Each opening starts a 6-hour portal "
    "session for that organization and those features. `location` carries the link's secret: "
    "it is answered this once. An `Idempotency-Key` is refused (400).",
    response_model=LinkResponse,
)
def generate_portal_link(
    t: App,
    by: By,
    request: Request,
    organization_id: OrgId,
    features: Annotated[list[FeatureName] | None, Query(max_length=8)] = None,
    shareable: bool = False,
) -> Response:
    if HEADER in request.headers:  # refused before the write: the guard releases the key
        raise InvalidField(HEADER, NO_REPLAY)
    link = t.generate_portal_link(organization_id, features, shareable=shareable, **by.kwargs())
    body = NewLink(id=link.id, location=link.location, expire_time=link.expire_time)
    return written(t, LinkResponse(link=body))


@routes.get(
    _LINKS,
    summary="List an organization's live admin-portal links (never a secret)",
    description="Links that can still be opened or have a live session: `status` is `ACTIVE` "
    "or `USED` (a single-use link opened once).",
    response_model=LinkList,
)
def list_portal_links(t: App, organization_id: OrgId) -> Response:
    return json_response(LinkList(links=t.list_portal_links(organization_id)))


@routes.delete(
    _LINKS,
    summary="Revoke every admin-portal link of an organization (their sessions end)",
    response_model=schemas.Empty,
)
def revoke_portal_links(t: App, by: By, organization_id: OrgId) -> Response:
    t.revoke_portal_links(organization_id, **by.kwargs())
    return written(t, schemas.Empty())


@routes.delete(
    _LINK,
    summary="Revoke an admin-portal link (its sessions end)",
    description="Revoking a link revoked (or over) already answers `{}` too.",
    response_model=schemas.Empty,
)
def revoke_portal_link(t: App, by: By, organization_id: OrgId, link_id: LinkId) -> Response:
    with suppress(NothingChanged):
        t.revoke_portal_link(organization_id, link_id, **by.kwargs())
    return written(t, schemas.Empty())
