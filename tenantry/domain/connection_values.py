"""Value rules of SSO connections and organization domains, each a function that returns the
normalized value or raises :class:`~tenantry.domain.errors.InvalidField` naming the field and
the rule; and the frozen settings a connection's events carry."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from tenantry.domain import text
from tenantry.domain.base import Timestamp
from tenantry.domain.connection_errors import CertificateExpired
from tenantry.domain.errors import InvalidField


class ConnectionType(StrEnum):
    SAML = "SAML"
    OIDC = "OIDC"


class Provider(StrEnum):
    """The identity provider a connection talks to (a label: the protocol is the type's).
    Spelt as the hosted API spells them."""

    OKTA = "OKTA"
    GOOGLE = "GOOGLE"
    MICROSOFT_AD = "MICROSOFT_AD"
    JUMPCLOUD = "JUMPCLOUD"
    ONELOGIN = "ONELOGIN"
    PING_IDENTITY = "PING_IDENTITY"
    CUSTOM = "CUSTOM"


PROVIDER_ALIASES: Final = {
    "ENTRA_ID": Provider.MICROSOFT_AD,
    "AZURE_AD": Provider.MICROSOFT_AD,
    "PING": Provider.PING_IDENTITY,
}
"""Other names people use for a provider, accepted on input."""


class TestResult(StrEnum):
    __test__ = False  # not a pytest class

    NOT_TESTED = "NOT_TESTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


class TokenAuthMethod(StrEnum):
    CLIENT_SECRET_BASIC = "client_secret_basic"
    CLIENT_SECRET_POST = "client_secret_post"


class VerificationMethod(StrEnum):
    DNS = "DNS"
    ADMIN = "ADMIN"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Certificate(_Frozen):
    """An IdP's X.509 signing certificate: the PEM and what people check it by."""

    pem: str
    subject: str
    fingerprint_sha256: str
    not_before: Timestamp
    not_after: Timestamp


class SamlSettings(_Frozen):
    idp_entity_id: str | None = None
    sso_url: str | None = None
    certificates: tuple[Certificate, ...] = ()
    idp_initiated_login: bool = False

    def missing(self) -> list[str]:
        return [
            name
            for name, given in (
                ("saml.idp_entity_id", self.idp_entity_id),
                ("saml.sso_url", self.sso_url),
                ("saml.certificates", self.certificates),
            )
            if not given
        ]


class OidcSettings(_Frozen):
    issuer: str | None = None
    client_id: str | None = None
    client_secret_encrypted: str | None = None
    """The client secret, encrypted with the configured key; never the secret itself."""
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    token_endpoint_auth_method: TokenAuthMethod = TokenAuthMethod.CLIENT_SECRET_BASIC

    def missing(self) -> list[str]:
        return [
            name
            for name, given in (
                ("oidc.issuer", self.issuer),
                ("oidc.client_id", self.client_id),
                ("oidc.client_secret", self.client_secret_encrypted),
            )
            if not given
        ]


DEFAULT_ATTRIBUTES: Final = {
    "email": "email",
    "given_name": "given_name",
    "family_name": "family_name",
    "groups": "groups",
}
"""The user field each IdP attribute fills, unless a connection maps it otherwise."""
USER_FIELDS: Final = tuple(DEFAULT_ATTRIBUTES)


class AttributeMapping(_Frozen):
    """Which IdP attribute fills each user field, and which groups grant which roles."""

    attributes: dict[str, str] = dict(DEFAULT_ATTRIBUTES)
    group_roles: dict[str, str] = {}


_NAME_MAX: Final = 1024
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def connection_type(value: str, field: str = "type") -> ConnectionType:
    try:
        return ConnectionType(str(value).upper())
    except ValueError:
        raise InvalidField(field, "must be SAML or OIDC") from None


def provider(value: str, field: str = "provider") -> Provider:
    name = str(value).upper()
    try:
        return PROVIDER_ALIASES.get(name) or Provider(name)
    except ValueError:
        raise InvalidField(field, f"must be one of {', '.join(Provider)}") from None


def url(value: str, field: str) -> str:
    """An ``https://`` URL (``http://`` only on this machine, for tests and local IdPs)."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    value = text.name(value.strip(), field)
    if not 1 <= len(value) <= _NAME_MAX:
        raise InvalidField(field, f"must be 1-{_NAME_MAX} characters")
    parts = urlsplit(value)
    local = parts.scheme == "http" and parts.hostname in _LOCAL_HOSTS
    if not parts.hostname or (parts.scheme != "https" and not local) or " " in value:
        raise InvalidField(field, "must be an https:// URL")
    return value


def identifier(value: str, field: str) -> str:
    """An entity ID or client id: 1-1024 characters of a name, no spaces around."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    value = text.name(value.strip(), field)
    if not 1 <= len(value) <= _NAME_MAX:
        raise InvalidField(field, f"must be 1-{_NAME_MAX} characters")
    return value


def strings(value: Iterable[str], field: str) -> list[str]:
    """A list of strings (not a string, not a mapping)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidField(field, "must be a list of strings")
    found = list(value)
    if not all(isinstance(each, str) for each in found):
        raise InvalidField(field, "must be a list of strings")
    return found


def scopes(value: Iterable[str], field: str = "oidc.scopes") -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split()
    found = tuple(dict.fromkeys(identifier(each, field) for each in strings(value, field)))
    if "openid" not in found:
        raise InvalidField(field, "must include openid")
    if any(" " in each for each in found):
        raise InvalidField(field, "scope names have no spaces")
    return found


def token_auth_method(
    value: str, field: str = "oidc.token_endpoint_auth_method"
) -> TokenAuthMethod:
    try:
        return TokenAuthMethod(value)
    except ValueError:
        raise InvalidField(field, f"must be one of {', '.join(TokenAuthMethod)}") from None


def attribute_mapping(
    attributes: Mapping[str, str] | None, group_roles: Mapping[str, str] | None
) -> AttributeMapping:
    """The mapping: ``attributes`` maps user fields (email, given_name, family_name, groups) to
    IdP attribute names, ``group_roles`` IdP group names to role names."""
    for name, given in (("attribute_mapping", attributes), ("group_roles", group_roles)):
        if given is not None and not isinstance(given, Mapping):
            raise InvalidField(name, "must be a mapping of names to names")
    mapped = dict(DEFAULT_ATTRIBUTES)
    for key, attribute in (attributes or {}).items():
        if key not in USER_FIELDS:
            raise InvalidField("attribute_mapping", f"user fields are {', '.join(USER_FIELDS)}")
        mapped[key] = identifier(attribute, f"attribute_mapping.{key}")
    roles: dict[str, str] = {}
    for group, role in (group_roles or {}).items():
        roles[identifier(group, "group_roles")] = identifier(role, f"group_roles.{group}")
    return AttributeMapping(attributes=mapped, group_roles=roles)


def domain_name(value: str, field: str = "domain") -> str:
    """A DNS name with at least two labels, lowercased (an e-mail address's part after ``@``)."""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    name = text.name(value.strip(), field).lower().rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidField(field, "must be a domain name") from None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
        raise InvalidField(field, "must be a domain name such as example.com")
    return name


def not_expired(certificate: Certificate, now: datetime, field: str) -> None:
    if certificate.not_after <= now:
        raise CertificateExpired(field, f"expired at {certificate.not_after.isoformat()}")


EXPIRY_WARNING: Final = timedelta(days=30)


def certificate_status(certificate: Certificate, now: datetime) -> str:
    """``EXPIRED``, ``EXPIRING`` (within 30 days) or ``VALID``."""
    if certificate.not_after <= now:
        return "EXPIRED"
    return "EXPIRING" if certificate.not_after <= now + EXPIRY_WARNING else "VALID"
