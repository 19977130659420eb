"""Errors of SSO connections and organization domains (re-exported by :mod:`tenantry.errors`).

Each is one of the kinds of :mod:`tenantry.domain.errors`, so every adapter maps it through the
same table (HTTP status, CLI exit code).
"""

from __future__ import annotations

from tenantry.domain.errors import Conflict, FailedPrecondition, InvalidField, NotFound

__all__ = [
    "CertificateExpired",
    "ClientSecretUnreadable",
    "ConnectionIncomplete",
    "ConnectionNotFound",
    "DomainAlreadyAdded",
    "DomainNotFound",
    "DomainNotVerified",
    "DomainTaken",
    "InvalidCertificate",
    "InvalidSamlMetadata",
    "NoConnectionForEmail",
    "SsoSecretKeyMissing",
    "WrongConnectionType",
]


class ConnectionNotFound(NotFound):
    """Raised when an organization has no (live) connection with the given id."""

    code = "connection_not_found"

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"no connection {connection_id!r} in this organization")
        self.connection_id = connection_id


class DomainNotFound(NotFound):
    """Raised when an organization has no domain with the given id."""

    code = "domain_not_found"

    def __init__(self, domain_id: str) -> None:
        super().__init__(f"no domain {domain_id!r} in this organization")
        self.domain_id = domain_id


class NoConnectionForEmail(NotFound):
    """Raised when home-realm discovery finds no active connection for an e-mail's domain."""

    code = "connection_not_discovered"

    def __init__(self, domain: str) -> None:
        super().__init__(f"no organization signs in {domain!r} addresses through an SSO connection")
        self.domain = domain


class DomainTaken(Conflict):
    """Raised when another organization has verified the domain already."""

    code = "domain_taken"

    def __init__(self, domain: str) -> None:
        super().__init__(f"domain {domain!r} is verified by another organization")
        self.domain = domain


class DomainAlreadyAdded(Conflict):
    """Raised when the organization lists the domain already."""

    code = "domain_already_added"

    def __init__(self, domain: str) -> None:
        super().__init__(f"domain {domain!r} is already one of this organization's domains")
        self.domain = domain


class ConnectionIncomplete(FailedPrecondition):
    """Raised when a connection is enabled before its configuration is complete."""

    code = "connection_incomplete"

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"the connection's configuration lacks {', '.join(missing)}")
        self.missing = missing


class WrongConnectionType(FailedPrecondition):
    """Raised when settings of one connection type are given to a connection of the other."""

    code = "wrong_connection_type"

    def __init__(self, connection_type: str, wanted: str) -> None:
        super().__init__(f"the connection is {connection_type}, not {wanted}")
        self.connection_type = connection_type
        self.wanted = wanted


class DomainNotVerified(FailedPrecondition):
    """Raised when a domain's DNS has no TXT record with its verification value (yet)."""

    code = "domain_not_verified"

    def __init__(self, domain: str, record_name: str, record_value: str, found: str) -> None:
        super().__init__(f"no TXT record {record_name!r} with the value {record_value!r} ({found})")
        self.domain = domain
        self.record_name = record_name
        self.record_value = record_value
        self.found = found


class SsoSecretKeyMissing(FailedPrecondition):
    """Raised when a client secret is given but no key to encrypt it with is configured."""

    code = "sso_secret_key_missing"

    def __init__(self) -> None:
        super().__init__(
            "no SSO secret key is configured (TENANTRY_SSO_SECRET_KEY): "
            "client secrets are only stored encrypted"
        )


class ClientSecretUnreadable(FailedPrecondition):
    """Raised when a stored client secret cannot be decrypted with the configured key(s) (the
    key that encrypted it was dropped): set the secret again."""

    code = "client_secret_unreadable"

    def __init__(self) -> None:
        super().__init__(
            "the stored client secret cannot be decrypted with the configured SSO key(s); "
            "keep the old key beside the new one, or set the secret again"
        )


class InvalidCertificate(InvalidField):
    """Raised when a signing certificate is not a PEM X.509 certificate."""

    code = "invalid_certificate"


class CertificateExpired(InvalidField):
    """Raised when a signing certificate given to a connection has expired."""

    code = "certificate_expired"


class InvalidSamlMetadata(InvalidField):
    """Raised when IdP metadata XML cannot be read (not XML, forbidden constructs, no IdP)."""

    code = "invalid_saml_metadata"
