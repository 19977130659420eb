"""An OpenID Connect provider as the relying party sees it: settings, discovery, and its JWKS.

Discovery (``{issuer}/.well-known/openid-configuration``) is fetched once per relying party and
must name the configured issuer exactly (OpenID Connect Discovery 4.3). The JWKS is cached; a
token signed with an unknown ``kid`` makes it refetch — at most once per ``refetch_interval``, so a
stream of forged ``kid``s cannot turn tenantry into a load generator against the IdP.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from tenantry.domain.errors import InvalidField
from tenantry.domain.sso_errors import IdentityProviderUnavailable, OidcReason, OidcRejected

TokenAuthMethod = Literal["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class OidcProvider:
    """A connection's provider: issuer URL, client credentials, scopes and how the client
    authenticates at the token endpoint. ``client_secret`` is never logged or put in an error."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    token_auth_method: TokenAuthMethod = "client_secret_basic"

    def __post_init__(self) -> None:
        if not self.issuer.startswith(("https://", "http://")):
            raise InvalidField("issuer", "must be an http(s) URL")
        if not self.client_id:
            raise InvalidField("client_id", "must not be empty")
        if "openid" not in self.scopes:
            raise InvalidField("scopes", "must include openid")

    def __repr__(self) -> str:  # keeps the secret out of logs and tracebacks
        return f"OidcProvider(issuer={self.issuer!r}, client_id={self.client_id!r})"


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the discovery document the relying party uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def get_json(http: httpx.Client, url: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """``(status, JSON object)`` of a request; an unreachable or non-JSON answer is
    :class:`IdentityProviderUnavailable`."""
    method = "POST" if "data" in kwargs else "GET"
    try:
        response = http.request(method, url, **kwargs)
        body = response.json()
    except httpx.HTTPError as error:
        raise IdentityProviderUnavailable(url, type(error).__name__) from None
    except ValueError:
        raise IdentityProviderUnavailable(url, "the answer is not JSON") from None
    if not isinstance(body, dict):
        raise IdentityProviderUnavailable(url, "the answer is not a JSON object")
    return response.status_code, body


def discover(http: httpx.Client, provider: OidcProvider) -> ProviderMetadata:
    """The provider's discovery document, checked against the configured issuer."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    status, document = get_json(http, url)
    if status != 200:
        raise IdentityProviderUnavailable(url, f"HTTP {status}")
    if document.get("issuer") != provider.issuer:
        raise OidcRejected(OidcReason.WRONG_ISSUER, "the discovery document names another issuer")
    try:
        return ProviderMetadata(
            issuer=provider.issuer,
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
        )
    except KeyError as missing:
        raise IdentityProviderUnavailable(url, f"no {missing.args[0]}") from None


class JwksCache:
    """The provider's signing keys, refetched on an unknown ``kid`` at most once per
    ``refetch_interval``."""

    def __init__(
        self,
        http: httpx.Client,
        jwks_uri: str,
        clock: Callable[[], datetime],
        refetch_interval: timedelta = timedelta(minutes=1),
    ) -> None:
        self._http = http
        self._uri = jwks_uri
        self._clock = clock
        self._interval = refetch_interval
        self._keys: list[Key] = []
        self._fetched_at: datetime | None = None
        self._lock = threading.Lock()

    def key_for(self, kid: str | None) -> Key:
        """The signing key named ``kid`` (the only key when the token names none)."""
        with self._lock:
            key = self._find(kid)
            if key is None and self._may_refetch():
                self._refetch()
                key = self._find(kid)
        if key is None:
            raise OidcRejected(OidcReason.UNKNOWN_KEY, f"no signing key {kid!r} in the JWKS")
        return key

    def _find(self, kid: str | None) -> Key | None:
        if kid is None:
            return self._keys[0] if len(self._keys) == 1 else None
        return next((k for k in self._keys if k.kid == kid), None)

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._interval

    def _refetch(self) -> None:
        self._fetched_at = self._clock()
        status, document = get_json(self._http, self._uri)
        if status != 200:
            raise IdentityProviderUnavailable(self._uri, f"HTTP {status}")
        signing = [
            k
            for k in document.get("keys", [])
            if isinstance(k, dict) and k.get("use") in (None, "sig")
        ]
        try:
            self._keys = list(KeySet.import_key_set({"keys": signing}).keys) if signing else []
        except (JoseError, ValueError, TypeError):
            raise IdentityProviderUnavailable(
                self._uri, "the JWKS holds an unreadable key"
            ) from None
