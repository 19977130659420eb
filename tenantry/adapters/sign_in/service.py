"""Signing in through a connection, from the start of the login to its outcome.

:meth:`SignIn.start` builds the IdP's inputs from the connection, starts the SAML or OIDC login
and seals what the callback needs into the pending-login cookie value. :meth:`SignIn.finish_saml`
and :meth:`SignIn.finish_oidc` open that cookie, let the protocol core verify the IdP's answer
into an :class:`SsoIdentity`, and hand it to the application (find or provision the person). A
login only starts and ends at an active connection (enabled, ``sso`` feature on), except an
admin's test login, whose outcome — success or the exact reason of the refusal — is recorded on
the connection instead (``record_connection_test``) and provisions no one.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import httpx

from tenantry.adapters.sign_in import settings
from tenantry.adapters.sign_in.pending import (
    TEST_TICKET_AGE,
    AppRequest,
    PendingLogin,
    TestTicket,
    open_pending,
    seal,
)
from tenantry.adapters.sso.identity import SsoIdentity
from tenantry.adapters.sso.oidc import OidcLoginRequest, OidcRelyingParty
from tenantry.adapters.sso.replay import ReplayCache
from tenantry.adapters.sso.saml_request import start_login
from tenantry.adapters.sso.saml_response import SamlResponseValidator
from tenantry.application.app import Tenantry
from tenantry.application.connection_dto import Connection
from tenantry.application.sso_sign_in import SignedIn, SsoProfile, sso_actor
from tenantry.domain.errors import InvalidField
from tenantry.domain.sso_errors import (
    IdentityProviderUnavailable,
    OidcReason,
    OidcRejected,
    SamlReason,
    SamlRejected,
    SignInRejected,
)

MAX_RELYING_PARTIES: Final = 1000
"""The most OIDC connections whose relying party (discovery, JWKS) one worker keeps."""


@dataclass(frozen=True)
class Started:
    """Where to send the browser, and the pending-login cookie value to set."""

    redirect_url: str
    cookie: str


@dataclass(frozen=True)
class Finished:
    """A completed login: ``signed_in`` for a sign-in, or the connection with its recorded
    ``tested`` outcome for an admin's test; ``app``: what the application asked for."""

    app: AppRequest | None
    signed_in: SignedIn | None = None
    tested: Connection | None = None
    identity: SsoIdentity | None = None


def profile_of(identity: SsoIdentity) -> SsoProfile:
    """What the application needs of a verified identity."""
    return SsoProfile(
        email=identity.email,
        subject=identity.subject,
        given_name=identity.given_name,
        family_name=identity.family_name,
        groups=identity.groups,
    )


class SignIn:
    """Sign-ins through ``tenantry``'s connections. ``replay_cache`` remembers SAML assertion ids
    (:class:`~tenantry.adapters.sso.replay_table.SqlReplayCache` across workers); ``http`` reaches
    OIDC providers."""

    def __init__(
        self,
        tenantry: Tenantry,
        replay_cache: ReplayCache,
        http: httpx.Client,
        clock: Callable[[], datetime],
    ) -> None:
        self.tenantry = tenantry
        self.replay_cache = replay_cache
        self.http = http
        self.clock = clock
        self._parties: dict[str, tuple[object, OidcRelyingParty]] = {}
        self._parties_lock = threading.Lock()

    def start(
        self,
        connection_id: str,
        app: AppRequest | None,
        *,
        login_hint: str | None = None,
        test: TestTicket | None = None,
    ) -> Started:
        """Starts a login at ``connection_id`` (an admin's test login with ``test``: the IdP is
        asked to authenticate again, ``ForceAuthn``; each ticket starts one login only)."""
        conn = self._connection(connection_id, None if test is None else test.organization_id)
        test_of = None if test is None else test.organization_id
        test_actor = None if test is None else test.actor
        if test is not None:
            now = self.clock()
            key = f"test-ticket:{test.ticket_id}"
            if not self.replay_cache.claim(key, expires_at=now + TEST_TICKET_AGE, now=now):
                raise InvalidField("test", "the test link was used already; start a new test")
        if conn.type == "SAML":
            login = start_login(
                settings.saml_idp(conn),
                settings.saml_sp(conn),
                now=self.clock(),
                relay_state=secrets.token_urlsafe(24),  # echoed by the IdP: this browser's login
                force_authn=test is not None,
            )
            pending = PendingLogin(
                conn.id,
                "saml",
                app,
                request_id=login.request_id,
                relay_state=login.relay_state,
                test_of=test_of,
                test_actor=test_actor,
            )
            return Started(login.redirect_url, seal(self.tenantry.sso_config, pending))
        rp = self._relying_party(conn)
        oidc = rp.start_login(login_hint=login_hint)
        # A test asks the provider to authenticate again (OIDC Core 3.1.2.1 ``prompt=login``).
        url = oidc.authorization_url + ("&prompt=login" if test is not None else "")
        pending = PendingLogin(
            conn.id,
            "oidc",
            app,
            state=oidc.state,
            nonce=oidc.nonce,
            code_verifier=oidc.code_verifier,
            test_of=test_of,
            test_actor=test_actor,
        )
        return Started(url, seal(self.tenantry.sso_config, pending))

    def finish_saml(
        self, connection_id: str, saml_response: str, relay_state: str, cookie: str | None
    ) -> Finished:
        """The outcome of the ``SAMLResponse`` (and ``RelayState``) posted to the ACS of
        ``connection_id``; without a pending login, an IdP-initiated one (taken only when the
        connection allows it)."""
        pending = open_pending(self.tenantry.sso_config, cookie, connection_id, "saml")
        expected = None if pending is None else pending.relay_state
        if expected is not None and not hmac.compare_digest(expected, relay_state):
            raise SamlRejected(SamlReason.UNKNOWN_REQUEST, "RelayState is not this browser's")
        conn = self._connection(connection_id, None if pending is None else pending.test_of)

        def verify() -> SsoIdentity:
            validator = SamlResponseValidator(
                settings.saml_idp(conn),
                settings.saml_sp(conn),
                self.replay_cache,
                self.clock,
                mapping=settings.attribute_mapping(conn),
            )
            allowed = conn.saml_config is not None and conn.saml_config.idp_initiated_login
            return validator.validate(
                saml_response,
                request_id=None if pending is None else pending.request_id,
                allow_idp_initiated=pending is None and allowed,
            )

        return self._finish(conn, pending, verify)

    def finish_oidc(
        self, connection_id: str, callback: Mapping[str, str], cookie: str | None
    ) -> Finished:
        """The outcome of the provider's redirect back to the callback of ``connection_id``."""
        pending = open_pending(self.tenantry.sso_config, cookie, connection_id, "oidc")
        if pending is None:
            raise OidcRejected(OidcReason.STATE_MISMATCH, "no login of this browser is pending")
        conn = self._connection(connection_id, pending.test_of)
        rp = self._relying_party(conn)

        def verify() -> SsoIdentity:
            started = OidcLoginRequest(
                "", pending.state or "", pending.nonce or "", pending.code_verifier or ""
            )
            return rp.finish_login(callback, started)

        return self._finish(conn, pending, verify)

    def _finish(
        self, conn: Connection, pending: PendingLogin | None, verify: Callable[[], SsoIdentity]
    ) -> Finished:
        app = None if pending is None else pending.app
        if pending is None or pending.test_of is None:
            verified = verify()
            if pending is None:  # IdP-initiated: to the host's application for such logins
                app = self._idp_initiated_app(conn, verified)
            signed_in = self.tenantry.complete_sso_sign_in(conn.id, profile_of(verified))
            return Finished(app, signed_in=signed_in, identity=verified)
        failure: str | None = None
        identity: SsoIdentity | None = None
        try:
            identity = verify()
        except SignInRejected as refused:
            failure = refused.reason
        except IdentityProviderUnavailable as down:
            failure = f"{down.code}: {down.endpoint}"
        tested = self.tenantry.record_connection_test(
            pending.test_of,
            conn.id,
            success=failure is None,
            failure_reason=failure,
            actor=pending.test_actor or sso_actor(conn.id),
        )
        return Finished(app, tested=tested, identity=identity)

    def _idp_initiated_app(self, conn: Connection, verified: SsoIdentity) -> AppRequest:
        """The application an IdP-initiated login goes to, its code bound to that client; with
        none set, the login is refused (and the refusal recorded on the connection)."""
        bound = self.tenantry.sso_config.idp_initiated_app()
        if bound is None:
            self.tenantry.refuse_idp_initiated_sign_in(conn.id, verified.email)
        return AppRequest(*bound)

    def _connection(self, connection_id: str, test_of: str | None) -> Connection:
        if test_of is not None:  # a test runs before the connection is enabled, too
            return self.tenantry.get_connection(test_of, connection_id)
        return self.tenantry.sign_in_connection(connection_id)

    def _relying_party(self, conn: Connection) -> OidcRelyingParty:
        """The connection's relying party, kept while its settings stay the same: discovery is
        read once, and the JWKS cache (refetched on an unknown ``kid`` at most once a minute)
        serves every login."""
        secret = self.tenantry.oidc_client_secret(conn.organization_id, conn.id)
        provider = settings.oidc_provider(conn, secret)
        redirect_uri = self.tenantry.sso_config.oidc_redirect_uri(conn.id)
        mapping = settings.attribute_mapping(conn)
        key = (provider, redirect_uri, mapping)
        with self._parties_lock:
            known = self._parties.get(conn.id)
            if known is not None and known[0] == key:
                return known[1]
            if len(self._parties) >= MAX_RELYING_PARTIES:
                self._parties.clear()
            party = OidcRelyingParty(provider, redirect_uri, self.http, self.clock, mapping=mapping)
            self._parties[conn.id] = (key, party)
            return party
