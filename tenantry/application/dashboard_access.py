"""Signing the vendor's operators into the dashboard: a one-time login link (15 minutes), issued
by whoever runs ``tenantry dashboard login``, exchanged for a session of 6 hours; read and end
the session.

As for portal links (:mod:`tenantry.application.portal_links`), the link's token is
``<login id hex>.<secret>`` and the session's cookie ``<login id hex>.<session id hex>.<secret>``,
recorded only as SHA-256 hashes. The login's events belong to the environment (no
organization): issuing records the actor who ran the command, opening and signing out
``dashboard:<operator>``. An unused link's expiry is not recorded (it simply stops).
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from tenantry.application.kernel import command
from tenantry.application.portal_link_dto import (
    DashboardLoginLink,
    DashboardSession,
    OpenedDashboardSession,
    dashboard_session_of,
)
from tenantry.application.portal_links import new_secret, parse_token
from tenantry.application.sso_config import SsoKernel
from tenantry.domain import values
from tenantry.domain.base import Act
from tenantry.domain.dashboard_login import DashboardLogin
from tenantry.domain.errors import InvalidField
from tenantry.domain.portal_link_errors import DashboardLoginInvalid, DashboardSessionInvalid
from tenantry.domain.portal_link_values import DASHBOARD_LINK_LIFETIME

OPERATOR_MAX: Final = values.ACTOR_MAX - len("dashboard:")


def operator_name(value: str, field: str = "operator") -> str:
    """Who signs in: a name under the actor rule, short enough to be recorded as
    ``dashboard:<operator>``."""
    name = values.actor(value, field)
    if len(name) > OPERATOR_MAX:
        raise InvalidField(field, f"must be 1-{OPERATOR_MAX} characters")
    return name


class DashboardAccess(SsoKernel):
    """Dashboard login links and sessions (see the module's docstring)."""

    @command
    def issue_dashboard_login(
        self, operator: str, *, actor: str, reason: str | None = None
    ) -> DashboardLoginLink:
        """A one-time link that signs ``operator`` into the dashboard within 15 minutes;
        ``actor``: who issued it (the CLI: ``cli:<OS user>``). Its ``location`` is shown this
        once."""
        name = operator_name(operator)
        who, why = values.actor(actor), values.reason(reason)
        secret = new_secret()

        def command() -> DashboardLoginLink:
            act = Act(self.now(), who, why)
            expire_time = act.now + DASHBOARD_LINK_LIFETIME
            login = DashboardLogin.issue(self._new_id(), name, secret, expire_time, act)
            self._save(login)
            token = f"{login.id.hex}.{secret}"
            return DashboardLoginLink(
                id=login.public_id,
                operator=name,
                location=f"{self.sso_config.base_url}/dashboard/login?token={token}",
                create_time=act.now,
                expire_time=expire_time,
            )

        return self.run_command(command)

    @command
    def open_dashboard_login(self, token: str) -> OpenedDashboardSession:
        """Exchanges a login link's token for a dashboard session of 6 hours; refused with
        ``dashboard_login_used``, ``dashboard_login_expired`` or ``dashboard_login_invalid``."""
        login_hex, secret = parse_token(token, "token", 2, DashboardLoginInvalid)
        session_secret = new_secret()

        def command() -> OpenedDashboardSession:
            login = self._get(UUID(login_hex), DashboardLogin)
            if login is None:
                raise DashboardLoginInvalid()
            act = Act(self.now(login), login.actor)
            session = login.open(secret, self._new_id(), session_secret, act)
            self._save(login)
            cookie = f"{login.id.hex}.{session.id.hex}.{session_secret}"
            return OpenedDashboardSession(
                cookie=cookie, session=dashboard_session_of(login, session.expire_time)
            )

        return self.run_command(command)

    def dashboard_session(self, cookie: str) -> DashboardSession:
        """The live session ``cookie`` identifies; :class:`DashboardSessionInvalid` if it is
        unknown, signed out or past its time."""
        login, session_id, secret = self._dashboard_parts(cookie, for_update=False)
        session = login.session(session_id, secret, self.now())
        if session is None:
            raise DashboardSessionInvalid()
        return dashboard_session_of(login, session.expire_time)

    @command
    def end_dashboard_session(self, cookie: str) -> None:
        """Signs the dashboard session out; an invalid one is :class:`DashboardSessionInvalid`."""
        parse_token(cookie, "cookie", 3, DashboardSessionInvalid)

        def command() -> None:
            login, session_id, secret = self._dashboard_parts(cookie, for_update=True)
            now = self.now(login)
            if login.session(session_id, secret, now) is None:
                raise DashboardSessionInvalid()
            login.end_session(Act(now, login.actor))
            self._save(login)

        self.run_command(command)

    def _dashboard_parts(
        self, cookie: str, *, for_update: bool
    ) -> tuple[DashboardLogin, UUID, str]:
        login_hex, session_hex, secret = parse_token(cookie, "cookie", 3, DashboardSessionInvalid)
        login = self._get(UUID(login_hex), DashboardLogin, for_update=for_update)
        if login is None:
            raise DashboardSessionInvalid()
        return login, UUID(session_hex), secret
