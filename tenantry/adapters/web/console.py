"""One handler for two audiences: the pages of a feature (SSO, SCIM, domains) are mounted under
``/portal/…`` for a customer's IT admin (the organization and features of the link) and under
``/dashboard/organizations/{organization_id}/…`` for the vendor's staff. A handler takes a
:class:`Console` and writes its links with :meth:`Console.url`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request

from tenantry.adapters.web.sessions import PORTAL_PATH, WebSession, current_session
from tenantry.domain.web_errors import FeatureNotInScope

DASHBOARD_ORG_PATH: Final = "/dashboard/organizations/{organization_id}"


@dataclass(frozen=True)
class Console:
    """Where a feature page is shown: whose session, which organization, its URL prefix, and
    whether it may be framed (the portal, by the configured origins; the dashboard never)."""

    session: WebSession
    organization_id: str
    base: str
    frameable: bool

    def url(self, path: str = "") -> str:
        return self.base + path

    def require(self, feature: str) -> None:
        """Refuses (:class:`FeatureNotInScope`) a feature the session's link does not grant."""
        if not self.session.may(feature):
            raise FeatureNotInScope(feature)


def console(request: Request) -> Console:
    session = current_session(request)
    if session.kind == "portal":
        assert session.organization_id is not None  # a portal session always has one
        return Console(session, session.organization_id, PORTAL_PATH, True)
    org = str(request.path_params["organization_id"])
    return Console(session, org, f"/dashboard/organizations/{org}", False)


ConsoleDep = Annotated[Console, Depends(console)]


def both(
    router: APIRouter,
    path: str,
    endpoint: Callable[..., Any],
    *,
    methods: Sequence[str] = ("GET",),
    name: str,
) -> None:
    """Mounts ``endpoint`` at ``/portal{path}`` and at the dashboard's organization ``{path}``;
    the route names are ``portal.{name}`` and ``dashboard.{name}``."""
    for prefix, kind in ((PORTAL_PATH, "portal"), (DASHBOARD_ORG_PATH, "dashboard")):
        router.add_api_route(
            prefix + path,
            endpoint,
            methods=list(methods),
            name=f"{kind}.{name}",
            include_in_schema=False,
        )
