"""What the portal-link and dashboard-login use cases return (typed, frozen, JSON-ready), and the
functions that build them from the aggregates.

A link's ``location`` and a session's ``cookie`` carry a secret: they are returned once, by the
command that made them, and kept out of ``repr`` (so out of logs and tracebacks); the queries
never return them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tenantry.domain import ids
from tenantry.domain.dashboard_login import DashboardLogin as LoginAggregate
from tenantry.domain.portal_link import PortalLink as LinkAggregate

__all__ = [
    "DashboardLoginLink",
    "DashboardSession",
    "OpenedDashboardSession",
    "OpenedSession",
    "PortalLink",
    "PortalLinkInfo",
    "PortalLinkSweep",
    "PortalSession",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PortalLink(_Frozen):
    """A new portal link: ``location`` is the URL to hand the organization's admin (shown
    this once)."""

    id: str
    organization_id: str
    location: str = Field(repr=False)
    features: list[str]
    shareable: bool
    create_time: datetime
    expire_time: datetime


class PortalLinkInfo(_Frozen):
    """A portal link as it is listed (no secret): ``status`` is ``ACTIVE`` (it can be opened)
    or ``USED`` (a single-use link opened once; its session may be live); ``live_sessions``:
    how many of its sessions are live."""

    id: str
    organization_id: str
    features: list[str]
    shareable: bool
    status: str
    create_time: datetime
    expire_time: datetime
    live_sessions: int


class PortalSession(_Frozen):
    """A live portal session: the organization and features it may configure, until when, and
    who its changes are recorded as (``portal:lnk_…``)."""

    organization_id: str
    link_id: str
    features: tuple[str, ...]
    expire_time: datetime
    actor: str


class OpenedSession(_Frozen):
    """A portal link exchanged for a session: ``cookie`` (opaque, secret) identifies it."""

    cookie: str = Field(repr=False)
    session: PortalSession


class PortalLinkSweep(_Frozen):
    organizations_checked: int
    links_expired: int


class DashboardLoginLink(_Frozen):
    """A new one-time dashboard login link: ``location`` signs ``operator`` in (shown once)."""

    id: str
    operator: str
    location: str = Field(repr=False)
    create_time: datetime
    expire_time: datetime


class DashboardSession(_Frozen):
    """A live dashboard session: the operator, the actor its changes are recorded as
    (``dashboard:<operator>``), until when."""

    login_id: str
    operator: str
    actor: str
    expire_time: datetime


class OpenedDashboardSession(_Frozen):
    cookie: str = Field(repr=False)
    session: DashboardSession


def portal_link_of(link: LinkAggregate, location: str) -> PortalLink:
    s = link.state
    return PortalLink(
        id=link.public_id,
        organization_id=ids.encode(ids.ORG, s.organization_id),
        location=location,
        features=list(s.features),
        shareable=s.shareable,
        create_time=link.created_on,
        expire_time=s.expire_time,
    )


def portal_link_info_of(link: LinkAggregate, now: datetime) -> PortalLinkInfo:
    s = link.state
    return PortalLinkInfo(
        id=link.public_id,
        organization_id=ids.encode(ids.ORG, s.organization_id),
        features=list(s.features),
        shareable=s.shareable,
        status=link.status(now).value,
        create_time=link.created_on,
        expire_time=s.expire_time,
        live_sessions=sum(1 for x in s.sessions if x.live(now)),
    )


def portal_session_of(link: LinkAggregate, expire_time: datetime) -> PortalSession:
    s = link.state
    return PortalSession(
        organization_id=ids.encode(ids.ORG, s.organization_id),
        link_id=link.public_id,
        features=tuple(s.features),
        expire_time=expire_time,
        actor=link.actor,
    )


def dashboard_session_of(login: LoginAggregate, expire_time: datetime) -> DashboardSession:
    return DashboardSession(
        login_id=login.public_id,
        operator=login.state.operator,
        actor=login.actor,
        expire_time=expire_time,
    )
