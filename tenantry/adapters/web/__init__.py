"""The web pages ``tenantry serve`` serves beside the API: the customer's admin portal (opened by a
portal link, framed by the vendor's own pages if it likes) and the vendor's dashboard (opened by a
login link from ``tenantry dashboard login``). Server-rendered (Jinja2), every asset served here.

:func:`add_web_routes` mounts them on an app; the pages read and write through the application
(and, for lists, the projections), never the database."""

from __future__ import annotations

from fastapi import FastAPI

from tenantry.adapters.web import (
    dashboard_history,
    dashboard_organization,
    dashboard_organizations,
    entry,
    portal_directories,
    portal_domains,
    portal_sso,
)
from tenantry.adapters.web.assets import add_assets
from tenantry.adapters.web.sessions import Sessions
from tenantry.adapters.web.settings import WebSettings

__all__ = ["WebSettings", "add_web_routes"]


def add_web_routes(app: FastAPI, sessions: Sessions, settings: WebSettings) -> None:
    """Mounts the pages, their assets and an offline ``/docs`` on ``app`` (built with
    ``docs_url=None``). ``sessions``: the application (its links and sessions)."""
    app.state.web_sessions = sessions
    app.state.web_settings = settings
    add_assets(app)
    for router in (
        entry.router,
        portal_sso.router,
        portal_directories.router,
        portal_domains.router,
        dashboard_organizations.router,
        dashboard_organization.router,
        dashboard_history.router,
    ):
        app.include_router(router)
