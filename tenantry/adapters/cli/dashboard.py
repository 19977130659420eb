"""``tenantry dashboard login``: prints a one-time link that signs an operator into the vendor's
dashboard (within 15 minutes; the session lasts 6 hours). The link is under
``$TENANTRY_SSO_BASE_URL``, the server's public base URL; the login is recorded with the actor
who ran the command, and the dashboard's changes with ``dashboard:<operator>``."""

from __future__ import annotations

from typing import Annotated

import typer

from tenantry.adapters.cli.connections import sso_application
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import CLI_ACTOR, ActorOpt, JsonOpt, ReasonOpt, os_user
from tenantry.adapters.cli.portal import printed
from tenantry.application.app import Tenantry
from tenantry.application.portal_link_dto import DashboardLoginLink

dashboard_app = typer.Typer(help="The vendor's dashboard: sign an operator in.")


def _shown(login: DashboardLoginLink) -> str:
    until = login.expire_time.isoformat()
    return f"{login.location}\none-time login for {login.operator}, until {until}"


@operation(dashboard_app, "login", opens=sso_application)
def login(
    t: Tenantry,
    operator: Annotated[
        str | None,
        typer.Option(help="Who signs in (default: your OS user).", show_default=False),
    ] = None,
    actor: ActorOpt = CLI_ACTOR,
    reason: ReasonOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Print a one-time dashboard login link (shown this once: only its hash is kept)."""
    new = t.issue_dashboard_login(operator or os_user(), actor=actor, reason=reason)
    printed(new, json_output, _shown)
