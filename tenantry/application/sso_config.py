"""What SSO connections and domains need from the host: the public base URL tenantry is reached
at (service-provider URLs follow from it), the key(s) OIDC client secrets are encrypted with,
and the DNS resolver domain verification asks.

Client secrets are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``).
Several keys may be configured: the first encrypts, every one decrypts, so a key is rotated by
putting the new one first and dropping the old one once every secret was set again.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, runtime_checkable
from uuid import UUID

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tenantry.application.kernel import Kernel
from tenantry.domain import connection_values as cv
from tenantry.domain.base import Act
from tenantry.domain.connection import SSO_FEATURE
from tenantry.domain.connection_errors import ClientSecretUnreadable, SsoSecretKeyMissing
from tenantry.domain.errors import InvalidField
from tenantry.domain.organization import Organization
from tenantry.domain.sso_registry import SsoRegistry, SsoRegistryState

BASE_URL_ENV: Final = "TENANTRY_SSO_BASE_URL"
SECRET_KEY_ENV: Final = "TENANTRY_SSO_SECRET_KEY"
"""Fernet keys (``Fernet.generate_key()``), comma-separated, newest first."""
REDIRECT_URIS_ENV: Final = "TENANTRY_SSO_REDIRECT_URIS"
"""The applications' sign-in callbacks ``/oauth/authorize`` may send a code to, comma-separated."""
IDP_INITIATED_CLIENT_ENV: Final = "TENANTRY_SSO_IDP_INITIATED_CLIENT_ID"
"""The application (API client id) an IdP-initiated SAML login's code is bound to."""
IDP_INITIATED_REDIRECT_ENV: Final = "TENANTRY_SSO_IDP_INITIATED_REDIRECT_URI"
"""Where an IdP-initiated SAML login hands its code back (one of the redirect URIs)."""
DNS_NAMESERVERS_ENV: Final = "TENANTRY_DNS_NAMESERVERS"
"""The DNS servers domain verification asks, comma-separated ``address`` or ``address:port``
(``[v6]:port``); unset: the host's own (``/etc/resolv.conf``)."""
DEFAULT_BASE_URL: Final = "http://localhost:8000"


@runtime_checkable
class Resolver(Protocol):
    """What domain verification asks of DNS: dnspython's ``Resolver.resolve``."""

    def resolve(self, qname: str, rdtype: str) -> Any: ...


@dataclass(frozen=True)
class SsoConfig:
    """The host's SSO settings (see the module's docstring)."""

    base_url: str = DEFAULT_BASE_URL
    secret_keys: Sequence[str] = ()
    resolver: Resolver | None = field(default=None, compare=False)
    redirect_uris: Sequence[str] = ()
    """Where a sign-in may hand its code back to (exact match); none: nowhere."""
    idp_initiated_client_id: str | None = None
    idp_initiated_redirect_uri: str | None = None
    """The application an IdP-initiated login is handed to; unset: such logins are refused."""
    nameservers: Sequence[tuple[str, int]] = ()
    """The DNS servers ``(address, port)`` domain verification asks (none: the host's own);
    a ``resolver`` given takes their place."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SsoConfig:
        keys = [k.strip() for k in env.get(SECRET_KEY_ENV, "").split(",") if k.strip()]
        uris = [u.strip() for u in env.get(REDIRECT_URIS_ENV, "").split(",") if u.strip()]
        return cls(
            base_url=env.get(BASE_URL_ENV, DEFAULT_BASE_URL),
            secret_keys=tuple(keys),
            redirect_uris=tuple(uris),
            idp_initiated_client_id=env.get(IDP_INITIATED_CLIENT_ENV, "").strip() or None,
            idp_initiated_redirect_uri=env.get(IDP_INITIATED_REDIRECT_ENV, "").strip() or None,
            nameservers=nameservers(env.get(DNS_NAMESERVERS_ENV, "")),
        )

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        for key in self.secret_keys:
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise InvalidField(
                    SECRET_KEY_ENV, "each key must be a Fernet key (32 url-safe base64 bytes)"
                ) from None

    def encrypt(self, secret: str) -> str:
        return self._box().encrypt(secret.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._box().decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            raise ClientSecretUnreadable() from None

    def _box(self) -> MultiFernet:
        if not self.secret_keys:
            raise SsoSecretKeyMissing()
        return MultiFernet([Fernet(k) for k in self.secret_keys])

    def allows_redirect(self, redirect_uri: str) -> bool:
        """Whether an application may be sent back to ``redirect_uri`` (listed exactly)."""
        return redirect_uri in self.redirect_uris

    def idp_initiated_app(self) -> tuple[str, str] | None:
        """The ``(client_id, redirect_uri)`` an IdP-initiated login's code is bound to; ``None``
        unless both are set and the redirect URI is an allowed one."""
        client_id, redirect_uri = self.idp_initiated_client_id, self.idp_initiated_redirect_uri
        if not client_id or not redirect_uri or not self.allows_redirect(redirect_uri):
            return None
        return client_id, redirect_uri

    def dns(self) -> Resolver:
        if self.resolver is not None:
            return self.resolver
        import dns.nameserver
        import dns.resolver

        if not self.nameservers:
            return dns.resolver.Resolver()
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(a, p) for a, p in self.nameservers]
        return resolver

    # Service-provider URLs of a connection, as the IdP's admin enters them.

    def sp_entity_id(self, connection_id: str) -> str:
        return f"{self.base_url}/sso/v1/saml/{connection_id}"

    def acs_url(self, connection_id: str) -> str:
        return f"{self.base_url}/sso/v1/saml/{connection_id}/acs"

    def oidc_redirect_uri(self, connection_id: str) -> str:
        return f"{self.base_url}/sso/v1/oidc/{connection_id}/callback"

    def sp_metadata_url(self, organization_id: str, connection_id: str) -> str:
        return (
            f"{self.base_url}/api/v1/organizations/{organization_id}"
            f"/connections/{connection_id}/saml/metadata"
        )


class SsoKernel(Kernel):
    """The kernel with the host's :class:`SsoConfig` (default: none of the secrets)."""

    sso_config: SsoConfig = SsoConfig()

    def configure_sso(
        self,
        *,
        base_url: str | None = None,
        secret_keys: Sequence[str] | None = None,
        resolver: Resolver | None = None,
        redirect_uris: Sequence[str] | None = None,
        idp_initiated_app: tuple[str, str] | None = None,
    ) -> SsoConfig:
        """Sets what SSO needs from the host; each argument left out keeps its value.
        ``idp_initiated_app``: the ``(client_id, redirect_uri)`` IdP-initiated logins go to
        (``("", "")`` unsets it)."""
        if base_url is not None:
            base_url = cv.url(base_url, "base_url")
        if secret_keys is not None:
            secret_keys = cv.strings(secret_keys, "secret_keys")
        if resolver is not None and not isinstance(resolver, Resolver):
            raise InvalidField("resolver", "must have dnspython's resolve(qname, rdtype)")
        if redirect_uris is not None:
            redirect_uris = [
                cv.url(u, "redirect_uris") for u in cv.strings(redirect_uris, "redirect_uris")
            ]
        old = self.sso_config
        client_id, redirect_uri = old.idp_initiated_client_id, old.idp_initiated_redirect_uri
        if idp_initiated_app is not None:
            client_id, redirect_uri = _idp_initiated_app(idp_initiated_app)
        self.sso_config = SsoConfig(
            base_url=old.base_url if base_url is None else base_url,
            secret_keys=old.secret_keys if secret_keys is None else tuple(secret_keys),
            resolver=old.resolver if resolver is None else resolver,
            redirect_uris=old.redirect_uris if redirect_uris is None else tuple(redirect_uris),
            idp_initiated_client_id=client_id,
            idp_initiated_redirect_uri=redirect_uri,
            nameservers=old.nameservers,
        )
        return self.sso_config

    def _registry(self, organization_id: UUID, act: Act) -> SsoRegistry:
        """The organization's register of connections and domains (opened on first use)."""
        registry = self._get(SsoRegistry.create_id(organization_id), SsoRegistry)
        return registry if registry is not None else SsoRegistry.open(organization_id, act)

    def _listed(self, organization_id: UUID) -> SsoRegistryState:
        """What the organization's register lists (nothing, before its first connection or
        domain)."""
        registry = self._get(SsoRegistry.create_id(organization_id), SsoRegistry, for_update=False)
        if registry is None:
            return SsoRegistryState(organization_id=organization_id)
        return registry.state

    def _sso_on(self, organization: Organization) -> bool:
        return bool(organization.state.features.get(SSO_FEATURE, False))


def nameservers(value: str) -> tuple[tuple[str, int], ...]:
    """``TENANTRY_DNS_NAMESERVERS``: comma-separated IP addresses, each with an optional
    ``:port`` (an IPv6 one in brackets to give a port), as ``(address, port)`` pairs."""
    found = []
    for item in (i.strip() for i in value.split(",")):
        if not item:
            continue
        address, port = item, "53"
        if item.startswith("["):
            address, _, rest = item[1:].partition("]")
            port = rest.removeprefix(":") or "53"
        elif item.count(":") == 1:
            address, port = item.split(":")
        try:
            ip = str(ipaddress.ip_address(address))
            number = int(port)
        except ValueError:
            number, ip = 0, ""
        if not ip or not 1 <= number <= 65535:
            raise InvalidField(
                DNS_NAMESERVERS_ENV, f"{item!r} is not an IP address with an optional :port"
            )
        found.append((ip, number))
    return tuple(found)


def _idp_initiated_app(value: tuple[str, str]) -> tuple[str | None, str | None]:
    """The checked ``(client_id, redirect_uri)`` of ``configure_sso(idp_initiated_app=…)``."""
    if not isinstance(value, tuple) or len(value) != 2:
        raise InvalidField("idp_initiated_app", "must be a (client_id, redirect_uri) pair")
    client_id, redirect_uri = value
    if (client_id, redirect_uri) == ("", ""):
        return None, None
    if not isinstance(client_id, str) or not client_id.strip():
        raise InvalidField("idp_initiated_app", "client_id must be a non-empty string")
    return client_id.strip(), cv.url(redirect_uri, "idp_initiated_app")
