"""What a SAML service provider needs to know about itself and about one identity provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from cryptography import x509

from tenantry.domain.errors import InvalidField

#: The largest clock difference accepted between tenantry and an identity provider.
MAX_CLOCK_SKEW = timedelta(minutes=3)


@dataclass(frozen=True)
class SamlIdp:
    """An identity provider: its entity ID, its SSO URL (HTTP-Redirect binding) and the X.509
    certificate(s) it signs with, in PEM. Several certificates allow a rollover; a signature is
    checked against these only, never against a key carried in the message."""

    entity_id: str
    sso_url: str
    certificates_pem: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.entity_id.strip():
            raise InvalidField("idp_entity_id", "must not be empty")
        if not self.sso_url.startswith(("https://", "http://")):
            raise InvalidField("idp_sso_url", "must be an http(s) URL")
        if not self.certificates_pem:
            raise InvalidField("idp_certificates", "at least one signing certificate is needed")
        _ = self.certificates

    @cached_property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        """The parsed signing certificates."""
        try:
            return tuple(x509.load_pem_x509_certificate(p.encode()) for p in self.certificates_pem)
        except ValueError:
            raise InvalidField("idp_certificates", "must be PEM X.509 certificates") from None


@dataclass(frozen=True)
class SamlSp:
    """This service provider, per connection: its entity ID and its assertion consumer service
    URL (HTTP-POST binding)."""

    entity_id: str
    acs_url: str

    def __post_init__(self) -> None:
        if not self.entity_id.strip():
            raise InvalidField("sp_entity_id", "must not be empty")
        if not self.acs_url.startswith(("https://", "http://")):
            raise InvalidField("sp_acs_url", "must be an http(s) URL")
