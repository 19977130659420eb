"""Portal sessions for the in-process page tests: a browser-like client (``TestClient``) holding
the ``tenantry_portal`` cookie of a session bound to one organization and some features.

Until the application's portal links land (Part P: ``generate_portal_link``/``open_portal_link``),
the sessions come from :class:`IssuedSessions`, which the app's ``web_sessions`` is set to: the
same protocol the web shell asks (:class:`tenantry.adapters.web.sessions.Sessions`)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenantry.adapters.web.sessions import DASHBOARD_COOKIE, PORTAL_COOKIE
from tenantry.domain.errors import Unauthenticated

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class SessionUnknown(Unauthenticated):
    """Raised when a cookie is none of the sessions issued here."""

    code = "portal_session_invalid"

    def __init__(self) -> None:
        super().__init__("this portal session is not valid; open a new link")


@dataclass(frozen=True)
class IssuedSession:
    organization_id: str
    link_id: str
    features: tuple[str, ...]
    expire_time: datetime
    actor: str


@dataclass(frozen=True)
class IssuedDashboardSession:
    operator: str
    expire_time: datetime
    actor: str


class IssuedSessions:
    """Portal and dashboard sessions issued by the test (see the module's docstring)."""

    def __init__(self) -> None:
        self.sessions: dict[str, IssuedSession] = {}
        self.dashboards: dict[str, IssuedDashboardSession] = {}

    def issue_dashboard(self, operator: str) -> str:
        cookie = secrets.token_urlsafe(24)
        expires = datetime.now(UTC) + timedelta(hours=6)
        self.dashboards[cookie] = IssuedDashboardSession(operator, expires, f"dashboard:{operator}")
        return cookie

    def issue(self, organization_id: str, features: Sequence[str]) -> tuple[str, IssuedSession]:
        link = f"lnk_{secrets.token_hex(8)}"
        session = IssuedSession(
            organization_id,
            link,
            tuple(features),
            datetime.now(UTC) + timedelta(hours=6),
            f"portal:{link}",
        )
        cookie = secrets.token_urlsafe(24)
        self.sessions[cookie] = session
        return cookie, session

    def portal_session(self, cookie: str) -> IssuedSession:
        found = self.sessions.get(cookie)
        if found is None:
            raise SessionUnknown()
        return found

    def end_portal_session(self, cookie: str) -> None:
        self.sessions.pop(cookie, None)

    def open_portal_link(self, token: str) -> object:
        raise SessionUnknown()

    def open_dashboard_login(self, token: str) -> object:
        raise SessionUnknown()

    def dashboard_session(self, cookie: str) -> IssuedDashboardSession:
        found = self.dashboards.get(cookie)
        if found is None:
            raise SessionUnknown()
        return found

    def end_dashboard_session(self, cookie: str) -> None:
        return None


def install(app: FastAPI) -> IssuedSessions:
    issued = IssuedSessions()
    app.state.web_sessions = issued
    return issued


def portal_client(
    app: FastAPI, issued: IssuedSessions, organization_id: str, features: Sequence[str]
) -> tuple[TestClient, IssuedSession]:
    """A client signed in to the portal of ``organization_id`` for ``features``."""
    cookie, session = issued.issue(organization_id, features)
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(PORTAL_COOKIE, cookie, path="/portal")
    return client, session


def dashboard_client(app: FastAPI, issued: IssuedSessions, operator: str) -> TestClient:
    """A client signed in to the dashboard as ``operator``."""
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(DASHBOARD_COOKIE, issued.issue_dashboard(operator), path="/dashboard")
    return client


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found is not None, "the page has no form token"
    return found.group(1)
