"""Errors of admin-portal links, dashboard login links and their sessions (re-exported by
:mod:`tenantry.errors`).

A link that cannot be opened is refused with one kind (:class:`Unauthenticated`) and a stable
code per reason, so that a page can tell the person why; none ever carries the token, a cookie
or a secret. A link whose secret does not match is :class:`PortalLinkInvalid`, like an unknown
one: only the holder of the right secret learns that the link was used, expired or revoked.
"""

from __future__ import annotations

from datetime import datetime

from tenantry.domain.errors import NotFound, Unauthenticated

__all__ = [
    "DashboardLoginHasExpired",
    "DashboardLoginInvalid",
    "DashboardLoginUsed",
    "DashboardSessionInvalid",
    "LinkRefused",
    "PortalLinkHasExpired",
    "PortalLinkInvalid",
    "PortalLinkNotFound",
    "PortalLinkUsed",
    "PortalLinkWasRevoked",
    "PortalSessionInvalid",
]


class LinkRefused(Unauthenticated):
    """Raised when a portal or dashboard login link cannot be opened (see the subclasses)."""

    code = "link_refused"


class PortalLinkInvalid(LinkRefused):
    """Raised when a portal link's token names no link, or its secret does not match."""

    code = "portal_link_invalid"

    def __init__(self) -> None:
        super().__init__("this portal link is not valid; ask for a new one")


class PortalLinkUsed(LinkRefused):
    """Raised when a single-use portal link was opened already."""

    code = "portal_link_used"

    def __init__(self, link_id: str) -> None:
        super().__init__(f"portal link {link_id!r} was used already; ask for a new one")
        self.link_id = link_id


class PortalLinkHasExpired(LinkRefused):
    """Raised when a portal link is opened after its time."""

    code = "portal_link_expired"

    def __init__(self, link_id: str, expire_time: datetime) -> None:
        super().__init__(
            f"portal link {link_id!r} expired at {expire_time.isoformat(timespec='seconds')}; "
            "ask for a new one"
        )
        self.link_id = link_id
        self.expire_time = expire_time


class PortalLinkWasRevoked(LinkRefused):
    """Raised when a revoked portal link is opened."""

    code = "portal_link_revoked"

    def __init__(self, link_id: str) -> None:
        super().__init__(f"portal link {link_id!r} was revoked; ask for a new one")
        self.link_id = link_id


class PortalLinkNotFound(NotFound):
    """Raised when an organization has no portal link with the given id."""

    code = "portal_link_not_found"

    def __init__(self, organization_id: str, link_id: str) -> None:
        super().__init__(f"organization {organization_id!r} has no portal link {link_id!r}")
        self.organization_id = organization_id
        self.link_id = link_id


class PortalSessionInvalid(Unauthenticated):
    """Raised when a portal session cookie is unknown, ended, expired, or its link revoked (it
    never says which: the page asks for a new link)."""

    code = "portal_session_invalid"

    def __init__(self) -> None:
        super().__init__("the portal session has ended; open a new portal link")


class DashboardLoginInvalid(LinkRefused):
    """Raised when a dashboard login link's token names no link, or its secret does not
    match."""

    code = "dashboard_login_invalid"

    def __init__(self) -> None:
        super().__init__("this dashboard login link is not valid; run `tenantry dashboard login`")


class DashboardLoginUsed(LinkRefused):
    """Raised when a dashboard login link was opened already (it is one-time)."""

    code = "dashboard_login_used"

    def __init__(self, login_id: str) -> None:
        super().__init__(
            f"dashboard login link {login_id!r} was used already; run `tenantry dashboard login`"
        )
        self.login_id = login_id


class DashboardLoginHasExpired(LinkRefused):
    """Raised when a dashboard login link is opened after its time."""

    code = "dashboard_login_expired"

    def __init__(self, login_id: str, expire_time: datetime) -> None:
        super().__init__(
            f"dashboard login link {login_id!r} expired at "
            f"{expire_time.isoformat(timespec='seconds')}; run `tenantry dashboard login`"
        )
        self.login_id = login_id
        self.expire_time = expire_time


class DashboardSessionInvalid(Unauthenticated):
    """Raised when a dashboard session cookie is unknown, ended or expired."""

    code = "dashboard_session_invalid"

    def __init__(self) -> None:
        super().__init__("the dashboard session has ended; sign in again")
