"""tenantry as an OpenID Connect relying party: authorization code flow with PKCE.

Library choice: ``joserfc`` (the JOSE half of authlib, typed, no web-framework glue) verifies
the ID token's signature; the flow itself is a few HTTP calls made with an injected
``httpx.Client`` so that tests can run a real provider in process.

1. :meth:`OidcRelyingParty.start_login` makes ``state``, ``nonce`` and a PKCE verifier (S256) and
   the authorization URL. The caller keeps the :class:`OidcLoginRequest` bound to the browser
   (a signed, HTTP-only cookie or a server session) — it holds the verifier, a secret.
2. :meth:`OidcRelyingParty.finish_login` takes the callback's query parameters and that pending
   request: ``state`` must match, the code is redeemed at the token endpoint with the verifier,
   and the ID token is validated (:mod:`tenantry.adapters.sso.oidc_tokens`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from tenantry.adapters.sso.identity import AttributeMapping, SsoIdentity, identity_from
from tenantry.adapters.sso.oidc_provider import (
    JwksCache,
    OidcProvider,
    ProviderMetadata,
    discover,
    get_json,
)
from tenantry.adapters.sso.oidc_tokens import IdTokenExpectations, validate_id_token
from tenantry.adapters.sso.saml_config import MAX_CLOCK_SKEW
from tenantry.domain.sso_errors import OidcReason, OidcRejected


@dataclass(frozen=True)
class OidcLoginRequest:
    """A started login: the URL to send the browser to, and what to keep for the callback."""

    authorization_url: str
    state: str
    nonce: str
    code_verifier: str = field(repr=False)


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: ``BASE64URL(SHA256(verifier))`` without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _claims_as_attributes(claims: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    attributes: dict[str, tuple[str, ...]] = {}
    for name, value in claims.items():
        if isinstance(value, str):
            attributes[name] = (value,)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            attributes[name] = tuple(value)
    return attributes


class OidcRelyingParty:
    """One connection's relying party: ``provider`` reached through ``http``, callbacks at
    ``redirect_uri``. ``metadata`` names the endpoints of a provider without discovery."""

    def __init__(
        self,
        provider: OidcProvider,
        redirect_uri: str,
        http: httpx.Client,
        clock: Callable[[], datetime],
        *,
        mapping: AttributeMapping | None = None,
        skew: timedelta = MAX_CLOCK_SKEW,
        jwks_refetch_interval: timedelta = timedelta(minutes=1),
        metadata: ProviderMetadata | None = None,
    ) -> None:
        self.provider = provider
        self.redirect_uri = redirect_uri
        self._http = http
        self._clock = clock
        self._mapping = mapping or AttributeMapping()
        self._skew = min(skew, MAX_CLOCK_SKEW)
        self._refetch = jwks_refetch_interval
        self._metadata = metadata  # None: read the discovery document on first use
        self._keys: JwksCache | None = None

    @property
    def metadata(self) -> ProviderMetadata:
        """The discovery document (fetched on first use)."""
        if self._metadata is None:
            self._metadata = discover(self._http, self.provider)
        return self._metadata

    @property
    def keys(self) -> JwksCache:
        if self._keys is None:
            self._keys = JwksCache(self._http, self.metadata.jwks_uri, self._clock, self._refetch)
        return self._keys

    def start_login(self, *, login_hint: str | None = None) -> OidcLoginRequest:
        """A fresh ``state``, ``nonce`` and PKCE verifier, and the authorization URL."""
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43-128
        params = {
            "response_type": "code",
            "client_id": self.provider.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.provider.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if login_hint:
            params["login_hint"] = login_hint
        endpoint = self.metadata.authorization_endpoint
        separator = "&" if "?" in endpoint else "?"
        return OidcLoginRequest(f"{endpoint}{separator}{urlencode(params)}", state, nonce, verifier)

    def finish_login(self, callback: Mapping[str, str], pending: OidcLoginRequest) -> SsoIdentity:
        """The identity from the callback's query parameters, for the browser's ``pending``
        login. Raises :class:`OidcRejected` naming the failed check."""
        state = callback.get("state", "")
        if not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise OidcRejected(OidcReason.STATE_MISMATCH)
        if "error" in callback:
            raise OidcRejected(OidcReason.PROVIDER_ERROR, callback["error"][:100])
        code = callback.get("code")
        if not code:
            raise OidcRejected(OidcReason.MALFORMED, "no code in the callback")
        id_token = self.redeem(code, pending.code_verifier)
        expected = IdTokenExpectations(
            self.provider.issuer, self.provider.client_id, pending.nonce, self._skew
        )
        claims = validate_id_token(id_token, self.keys, expected, now=self._clock())
        return self._identity(claims)

    def redeem(self, code: str, code_verifier: str | None) -> str:
        """The ID token the token endpoint gives for ``code`` (sent with ``code_verifier``)."""
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if code_verifier:
            data["code_verifier"] = code_verifier
        auth: tuple[str, str] | None = None
        if self.provider.token_auth_method == "client_secret_post":
            data |= {
                "client_id": self.provider.client_id,
                "client_secret": self.provider.client_secret,
            }
        else:
            auth = (self.provider.client_id, self.provider.client_secret)
        status, body = get_json(
            self._http,
            self.metadata.token_endpoint,
            data=data,
            auth=auth,
            headers={"Accept": "application/json"},
        )
        if status != 200:
            raise OidcRejected(
                OidcReason.TOKEN_ERROR, str(body.get("error", f"HTTP {status}"))[:100]
            )
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRejected(OidcReason.TOKEN_ERROR, "no id_token in the token response")
        return id_token

    def _identity(self, claims: Mapping[str, Any]) -> SsoIdentity:
        attributes = _claims_as_attributes(claims)
        email = self._mapping.single(attributes, self._mapping.email)
        if email is None or claims.get("email_verified") is False:
            raise OidcRejected(OidcReason.MISSING_ATTRIBUTE, "no verified e-mail claim")
        return identity_from(
            "oidc",
            issuer=self.provider.issuer,
            subject=str(claims["sub"]),
            email=email,
            attributes=attributes,
            mapping=self._mapping,
            session_index=claims.get("sid") if isinstance(claims.get("sid"), str) else None,
        )
