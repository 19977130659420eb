"""Sessions for in-process page tests: the web shell's ``Sessions`` port answering for cookies the
test issued itself, so that the pages can be tested before (and apart from) portal links.

It stands in for the application's link and session verbs only: the pages under test still read
and write through the real application. An unknown cookie is refused as the shell refuses a
missing one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tenantry.domain.web_errors import SessionMissing

SESSION_AGE = timedelta(hours=6)


@dataclass(frozen=True)
class PortalSession:
    organization_id: str
    link_id: str
    features: tuple[str, ...]
    expire_time: datetime
    actor: str


@dataclass(frozen=True)
class DashboardSession:
    operator: str
    expire_time: datetime
    actor: str


class IssuedSessions:
    """The portal and dashboard sessions a test issued (``issue_*``), by cookie."""

    def __init__(self) -> None:
        self.portal: dict[str, PortalSession] = {}
        self.dashboard: dict[str, DashboardSession] = {}

    def issue_portal(self, organization_id: str, features: tuple[str, ...]) -> tuple[str, str]:
        """A cookie for a new portal session and the session's actor."""
        link_id = f"lnk_{secrets.token_hex(8)}"
        expire = datetime.now(UTC) + SESSION_AGE
        session = PortalSession(organization_id, link_id, features, expire, f"portal:{link_id}")
        cookie = secrets.token_urlsafe(24)
        self.portal[cookie] = session
        return cookie, session.actor

    def issue_dashboard(self, operator: str) -> tuple[str, str]:
        session = DashboardSession(
            operator, datetime.now(UTC) + SESSION_AGE, f"dashboard:{operator}"
        )
        cookie = secrets.token_urlsafe(24)
        self.dashboard[cookie] = session
        return cookie, session.actor

    def portal_session(self, cookie: str) -> PortalSession:
        if cookie not in self.portal:
            raise SessionMissing("portal")
        return self.portal[cookie]

    def dashboard_session(self, cookie: str) -> DashboardSession:
        if cookie not in self.dashboard:
            raise SessionMissing("dashboard")
        return self.dashboard[cookie]

    def end_portal_session(self, cookie: str) -> None:
        self.portal.pop(cookie, None)

    def end_dashboard_session(self, cookie: str) -> None:
        self.dashboard.pop(cookie, None)

    def open_portal_link(self, token: str) -> object:
        raise SessionMissing("portal")

    def open_dashboard_login(self, token: str) -> object:
        raise SessionMissing("dashboard")
