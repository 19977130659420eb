"""What the connection and domain queries return (typed, frozen, JSON-ready), and the functions
that build them from the aggregates. No client secret is ever part of them: a connection shows
only whether one is set."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from tenantry.application.sso_config import SsoConfig
from tenantry.domain import ids
from tenantry.domain.connection import Connection as ConnectionAggregate
from tenantry.domain.connection_values import Certificate, certificate_status
from tenantry.domain.org_domain import OrganizationDomain as DomainAggregate

__all__ = [
    "AttributeMappingView",
    "CertificateView",
    "Connection",
    "ConnectionTest",
    "DomainVerification",
    "OidcConfig",
    "OrganizationDomain",
    "SamlConfig",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CertificateView(_Frozen):
    """A signing certificate; ``status`` is ``VALID``, ``EXPIRING`` (within 30 days) or
    ``EXPIRED``."""

    pem: str
    subject: str
    fingerprint_sha256: str
    not_before: datetime
    not_after: datetime
    status: str


class SamlConfig(_Frozen):
    idp_entity_id: str | None
    idp_sso_url: str | None
    idp_certificates: list[CertificateView]
    idp_initiated_login: bool
    sp_entity_id: str
    sp_acs_url: str
    sp_metadata_url: str


class OidcConfig(_Frozen):
    issuer: str | None
    discovery_endpoint: str | None
    client_id: str | None
    client_secret_set: bool
    scopes: list[str]
    token_auth_type: str
    redirect_uri: str


class AttributeMappingView(_Frozen):
    attributes: dict[str, str]
    group_roles: dict[str, str]


class ConnectionTest(_Frozen):
    result: str
    reason: str | None
    tested_at: datetime | None


class Connection(_Frozen):
    """A connection as it is read. ``active``: it signs people in now (enabled, and the
    organization's ``sso`` feature on); ``missing``: what enabling it still needs."""

    id: str
    organization_id: str
    type: str
    provider: str
    enabled: bool
    active: bool
    missing: list[str]
    attribute_mapping: AttributeMappingView
    saml_config: SamlConfig | None
    oidc_config: OidcConfig | None
    test_connection: ConnectionTest
    create_time: datetime
    update_time: datetime


class DomainVerification(_Frozen):
    """The DNS TXT record that proves the organization holds the domain."""

    txt_record_name: str
    txt_record_value: str


class OrganizationDomain(_Frozen):
    id: str
    organization_id: str
    domain: str
    verification_status: str
    verification_method: str | None
    verified_at: datetime | None
    verification: DomainVerification
    create_time: datetime
    update_time: datetime


def _certificate(cert: Certificate, now: datetime) -> CertificateView:
    return CertificateView(
        pem=cert.pem,
        subject=cert.subject,
        fingerprint_sha256=cert.fingerprint_sha256,
        not_before=cert.not_before,
        not_after=cert.not_after,
        status=certificate_status(cert, now),
    )


def connection_of(
    conn: ConnectionAggregate, sso_feature_on: bool, config: SsoConfig, now: datetime
) -> Connection:
    s = conn.state
    org_id, conn_id = ids.encode(ids.ORG, s.organization_id), conn.public_id
    saml = oidc = None
    if s.saml is not None:
        saml = SamlConfig(
            idp_entity_id=s.saml.idp_entity_id,
            idp_sso_url=s.saml.sso_url,
            idp_certificates=[_certificate(c, now) for c in s.saml.certificates],
            idp_initiated_login=s.saml.idp_initiated_login,
            sp_entity_id=config.sp_entity_id(conn_id),
            sp_acs_url=config.acs_url(conn_id),
            sp_metadata_url=config.sp_metadata_url(org_id, conn_id),
        )
    if s.oidc is not None:
        issuer = s.oidc.issuer
        oidc = OidcConfig(
            issuer=issuer,
            discovery_endpoint=issuer and f"{issuer.rstrip('/')}/.well-known/openid-configuration",
            client_id=s.oidc.client_id,
            client_secret_set=s.oidc.client_secret_encrypted is not None,
            scopes=list(s.oidc.scopes),
            token_auth_type=s.oidc.token_endpoint_auth_method.value,
            redirect_uri=config.oidc_redirect_uri(conn_id),
        )
    return Connection(
        id=conn_id,
        organization_id=org_id,
        type=s.type.value,
        provider=s.provider.value,
        enabled=s.enabled,
        active=conn.is_active(sso_feature_on),
        missing=conn.missing(),
        attribute_mapping=AttributeMappingView(
            attributes=dict(s.mapping.attributes), group_roles=dict(s.mapping.group_roles)
        ),
        saml_config=saml,
        oidc_config=oidc,
        test_connection=ConnectionTest(
            result=s.test_result.value, reason=s.test_reason, tested_at=s.tested_at
        ),
        create_time=conn.created_on,
        update_time=conn.modified_on,
    )


def domain_of(domain: DomainAggregate) -> OrganizationDomain:
    s = domain.state
    return OrganizationDomain(
        id=domain.public_id,
        organization_id=ids.encode(ids.ORG, s.organization_id),
        domain=s.name,
        verification_status="VERIFIED" if domain.verified else "PENDING",
        verification_method=None if s.verified_by is None else s.verified_by.value,
        verified_at=s.verified_at,
        verification=DomainVerification(
            txt_record_name=domain.txt_name, txt_record_value=domain.txt_value
        ),
        create_time=domain.created_on,
        update_time=domain.modified_on,
    )
