"""The links a sign-in starts from, as the HTTP routes and the CLI hand them out: the hosted
``/oauth/authorize`` URL an application sends a browser to, and an admin's test-login link."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode

from tenantry.adapters.sign_in.pending import TestTicket, test_ticket
from tenantry.application.sso_config import SsoConfig

AUTHORIZE_PATH: Final = "/oauth/authorize"


def authorize_url(config: SsoConfig, params: dict[str, str | None]) -> str:
    """The ``/oauth/authorize`` URL with ``params`` (those left ``None`` are left out)."""
    given = {k: v for k, v in params.items() if v is not None}
    return f"{config.base_url}{AUTHORIZE_PATH}?{urlencode(given)}"


def connection_test_url(config: SsoConfig, ticket: TestTicket) -> str:
    """The link that starts the test login ``ticket`` allows."""
    return authorize_url(config, {"test": test_ticket(config, ticket)})
