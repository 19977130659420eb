"""The browser's pending login, kept in a short-lived, HTTP-only cookie sealed with the host's
SSO key (Fernet: AES with an HMAC, and a timestamp checked against :data:`MAX_AGE`): nothing of
it is readable or changeable in the browser, and a stale one is refused.

It holds what the callback needs (the SAML request id, or the OIDC ``state``, ``nonce`` and PKCE
verifier) and what the application asked for (``client_id``, ``redirect_uri``, its ``state`` and
``nonce``). An admin's "test connection" login is started from a sealed :class:`TestTicket`,
good for one login of one browser, whose outcome is recorded as made by the admin who asked.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tenantry.application.sso_config import SsoConfig
from tenantry.domain.connection_errors import SsoSecretKeyMissing
from tenantry.domain.sso_errors import OidcReason, OidcRejected, SamlReason, SamlRejected

COOKIE: Final = "tenantry_sso_login"
MAX_AGE: Final = timedelta(minutes=10)
"""The longest a login may take from the redirect to the IdP to the callback."""
TEST_TICKET_AGE: Final = timedelta(minutes=10)


@dataclass(frozen=True)
class AppRequest:
    """What the embedding application asked ``/oauth/authorize`` for."""

    client_id: str
    redirect_uri: str
    state: str | None = None
    nonce: str | None = None


@dataclass(frozen=True)
class PendingLogin:
    """One browser's login in flight (see the module's docstring)."""

    connection_id: str
    protocol: str  # "saml" or "oidc"
    app: AppRequest | None
    request_id: str | None = None
    relay_state: str | None = None
    state: str | None = None
    nonce: str | None = None
    code_verifier: str | None = field(default=None, repr=False)
    test_of: str | None = None
    """An admin's test login: the organization whose connection is tested."""
    test_actor: str | None = None
    """An admin's test login: who started it (the actor of the recorded outcome)."""


@dataclass(frozen=True)
class TestTicket:
    """An admin's (``actor``'s) permission to start one test login of a connection;
    ``ticket_id`` makes it single-use (see :meth:`SignIn.start`)."""

    __test__ = False  # not a pytest class

    organization_id: str
    connection_id: str
    actor: str
    ticket_id: str = field(default_factory=lambda: secrets.token_urlsafe(16))


def _box(config: SsoConfig) -> MultiFernet:
    if not config.secret_keys:
        raise SsoSecretKeyMissing()
    return MultiFernet([Fernet(k) for k in config.secret_keys])


def _seal(config: SsoConfig, value: dict[str, Any]) -> str:
    return _box(config).encrypt(json.dumps(value).encode()).decode("ascii")


def _open(config: SsoConfig, token: str, max_age: timedelta) -> dict[str, Any] | None:
    try:
        raw = _box(config).decrypt(token.encode("ascii"), ttl=int(max_age.total_seconds()))
        value = json.loads(raw)
    except (InvalidToken, UnicodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def seal(config: SsoConfig, pending: PendingLogin) -> str:
    """The cookie value of ``pending``."""
    return _seal(config, asdict(pending))


def open_pending(
    config: SsoConfig, cookie: str | None, connection_id: str, protocol: str
) -> PendingLogin | None:
    """The pending login of ``cookie`` for ``connection_id``; ``None`` when there is no cookie
    (an IdP-initiated SAML login). A cookie that is stale, forged or for another connection or
    protocol is refused as a login this browser did not start."""
    if not cookie:
        return None
    value = _open(config, cookie, MAX_AGE)
    pending: PendingLogin | None = None
    if value is not None:
        app = value.pop("app", None)
        try:
            pending = PendingLogin(**value, app=AppRequest(**app) if app else None)
        except TypeError:
            pending = None
    if pending is None or (pending.connection_id, pending.protocol) != (connection_id, protocol):
        if protocol == "oidc":
            raise OidcRejected(OidcReason.STATE_MISMATCH, "no login of this browser is pending")
        raise SamlRejected(SamlReason.UNKNOWN_REQUEST, "no login of this browser is pending")
    return pending


def test_ticket(config: SsoConfig, ticket: TestTicket) -> str:
    """A sealed ticket that lets one browser start a test login within ``TEST_TICKET_AGE``."""
    return _seal(config, asdict(ticket))


def open_test_ticket(config: SsoConfig, token: str) -> TestTicket | None:
    value = _open(config, token, TEST_TICKET_AGE)
    try:
        return TestTicket(**value) if value is not None else None
    except TypeError:
        return None
