"""Who is looking at a page: the portal session of a customer's IT admin (one organization, the
features of the link that opened it) or the dashboard session of one of the vendor's staff (every
organization, every feature). Both ride in an HttpOnly cookie whose value the application made
and checks (:class:`Sessions`); the web layer never reads inside it.

The CSRF token of a session's forms is derived from the cookie (an HMAC of it): a page of another
site can make the browser post the cookie, but cannot read the page that carries the token."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final, Literal, Protocol

from fastapi import Depends, Request
from starlette.responses import Response

from tenantry.adapters.web.settings import WebSettings
from tenantry.domain.errors import TenantryError
from tenantry.domain.web_errors import SessionMissing

PORTAL_COOKIE: Final = "tenantry_portal"
DASHBOARD_COOKIE: Final = "tenantry_dashboard"
PORTAL_PATH: Final = "/portal"
DASHBOARD_PATH: Final = "/dashboard"
_CSRF_KEY: Final = b"tenantry web form token"
_STATE: Final = "tenantry_web_session"

Kind = Literal["portal", "dashboard"]


class PortalSessionView(Protocol):
    @property
    def organization_id(self) -> str: ...
    @property
    def link_id(self) -> str: ...
    @property
    def features(self) -> Sequence[str]: ...
    @property
    def expire_time(self) -> datetime: ...
    @property
    def actor(self) -> str: ...


class DashboardSessionView(Protocol):
    @property
    def operator(self) -> str: ...
    @property
    def expire_time(self) -> datetime: ...
    @property
    def actor(self) -> str: ...


class OpenedPortal(Protocol):
    @property
    def cookie(self) -> str: ...
    @property
    def session(self) -> PortalSessionView: ...


class OpenedDashboard(Protocol):
    @property
    def cookie(self) -> str: ...
    @property
    def session(self) -> DashboardSessionView: ...


class Sessions(Protocol):
    """What the pages ask of the application about links and sessions (each raises an
    ``Unauthenticated`` error naming why a link or a cookie is refused)."""

    def open_portal_link(self, token: str) -> OpenedPortal: ...
    def portal_session(self, cookie: str) -> PortalSessionView: ...
    def end_portal_session(self, cookie: str) -> None: ...
    def open_dashboard_login(self, token: str) -> OpenedDashboard: ...
    def dashboard_session(self, cookie: str) -> DashboardSessionView: ...
    def end_dashboard_session(self, cookie: str) -> None: ...


@dataclass(frozen=True)
class WebSession:
    """One browser's session as the pages see it (see the module's docstring)."""

    kind: Kind
    actor: str
    label: str
    """Whom to greet: the dashboard's operator, or the portal link's id."""
    organization_id: str | None
    """The portal session's organization; ``None`` for the dashboard (every organization)."""
    features: frozenset[str] | None
    """The portal link's features; ``None`` for the dashboard (every feature)."""
    csrf_token: str
    expire_time: datetime

    def may(self, feature: str) -> bool:
        return self.features is None or feature in self.features


def form_token(cookie: str) -> str:
    return hmac.new(_CSRF_KEY, cookie.encode(), hashlib.sha256).hexdigest()[:40]


def kind_of(request: Request) -> Kind | None:
    path = request.url.path
    if path == PORTAL_PATH or path.startswith(PORTAL_PATH + "/"):
        return "portal"
    if path == DASHBOARD_PATH or path.startswith(DASHBOARD_PATH + "/"):
        return "dashboard"
    return None


def sessions_of(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.web_sessions
    return sessions


def settings_of(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.web_settings
    return settings


def current_session(request: Request) -> WebSession:
    """The session of the page's kind (by its path), or :class:`SessionMissing`."""
    cached: WebSession | None = getattr(request.state, _STATE, None)
    if cached is not None:
        return cached
    kind = kind_of(request)
    if kind is None:
        raise SessionMissing("web")
    cookie = request.cookies.get(PORTAL_COOKIE if kind == "portal" else DASHBOARD_COOKIE)
    if not cookie:
        raise SessionMissing(kind)
    session = _portal(request, cookie) if kind == "portal" else _dashboard(request, cookie)
    setattr(request.state, _STATE, session)
    return session


def session_if_any(request: Request) -> WebSession | None:
    """The page's session if the browser has a valid one (pages shown to everyone use it)."""
    try:
        return current_session(request)
    except TenantryError:  # a refused or missing cookie only means "not signed in" here
        return None


def _portal(request: Request, cookie: str) -> WebSession:
    s = sessions_of(request).portal_session(cookie)
    return WebSession(
        kind="portal",
        actor=s.actor,
        label=s.link_id,
        organization_id=s.organization_id,
        features=frozenset(s.features),
        csrf_token=form_token(cookie),
        expire_time=s.expire_time,
    )


def _dashboard(request: Request, cookie: str) -> WebSession:
    s = sessions_of(request).dashboard_session(cookie)
    return WebSession(
        kind="dashboard",
        actor=s.actor,
        label=s.operator,
        organization_id=None,
        features=None,
        csrf_token=form_token(cookie),
        expire_time=s.expire_time,
    )


SessionDep = Annotated[WebSession, Depends(current_session)]
"""A page's session: the portal's under ``/portal``, the dashboard's under ``/dashboard``."""


def set_cookie(
    request: Request, response: Response, kind: Kind, value: str, expire_time: datetime
) -> None:
    """Hands the browser its session cookie: HttpOnly; over TLS ``Secure; SameSite=None`` (it
    must reach an ``<iframe>`` on the vendor's site), otherwise ``SameSite=Lax``."""
    secure = request.url.scheme == "https" or settings_of(request).secure_cookies
    seconds = max(0, int((expire_time - _now(expire_time)).total_seconds()))
    response.set_cookie(
        PORTAL_COOKIE if kind == "portal" else DASHBOARD_COOKIE,
        value,
        max_age=seconds,
        path=PORTAL_PATH if kind == "portal" else DASHBOARD_PATH,
        httponly=True,
        secure=secure,
        samesite="none" if secure else "lax",
    )


def clear_cookie(response: Response, kind: Kind) -> None:
    response.delete_cookie(
        PORTAL_COOKIE if kind == "portal" else DASHBOARD_COOKIE,
        path=PORTAL_PATH if kind == "portal" else DASHBOARD_PATH,
    )


def cookie_of(request: Request, kind: Kind) -> str | None:
    return request.cookies.get(PORTAL_COOKIE if kind == "portal" else DASHBOARD_COOKIE)


def _now(like: datetime) -> datetime:
    return datetime.now(like.tzinfo)
