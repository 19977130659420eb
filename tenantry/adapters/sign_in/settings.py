"""The protocol core's inputs built from a connection as the application reads it: the SAML
identity provider and service provider, the OIDC provider (with its decrypted client secret), and
the attribute names to read."""

from __future__ import annotations

from tenantry.adapters.sso.identity import AttributeMapping
from tenantry.adapters.sso.oidc_provider import OidcProvider, TokenAuthMethod
from tenantry.adapters.sso.saml_config import SamlIdp, SamlSp
from tenantry.application.connection_dto import Connection
from tenantry.domain.connection_errors import ConnectionIncomplete, WrongConnectionType
from tenantry.domain.connection_values import ConnectionType


def saml_idp(conn: Connection) -> SamlIdp:
    """The identity provider a SAML connection trusts (its configured certificates only)."""
    saml = conn.saml_config
    if saml is None:
        raise WrongConnectionType(ConnectionType(conn.type), ConnectionType.SAML)
    if not (saml.idp_entity_id and saml.idp_sso_url and saml.idp_certificates):
        raise ConnectionIncomplete(conn.missing)
    pems = tuple(c.pem for c in saml.idp_certificates)
    return SamlIdp(saml.idp_entity_id, saml.idp_sso_url, pems)


def saml_sp(conn: Connection) -> SamlSp:
    """tenantry as the service provider of a SAML connection (its own entity ID and ACS)."""
    saml = conn.saml_config
    if saml is None:
        raise WrongConnectionType(ConnectionType(conn.type), ConnectionType.SAML)
    return SamlSp(saml.sp_entity_id, saml.sp_acs_url)


def oidc_provider(conn: Connection, client_secret: str | None) -> OidcProvider:
    """The provider an OIDC connection signs in with; ``client_secret`` decrypted by the caller
    for this login only."""
    oidc = conn.oidc_config
    if oidc is None:
        raise WrongConnectionType(ConnectionType(conn.type), ConnectionType.OIDC)
    if not (oidc.issuer and oidc.client_id and client_secret):
        raise ConnectionIncomplete(conn.missing)
    method: TokenAuthMethod = (
        "client_secret_post"
        if oidc.token_auth_type == "client_secret_post"
        else "client_secret_basic"
    )
    return OidcProvider(
        oidc.issuer,
        oidc.client_id,
        client_secret,
        scopes=tuple(oidc.scopes),
        token_auth_method=method,
    )


def attribute_mapping(conn: Connection) -> AttributeMapping:
    """The connection's attribute names tried first, then the usual names of the big IdPs."""
    names = conn.attribute_mapping.attributes
    return AttributeMapping.configured(
        email=names.get("email"),
        given_name=names.get("given_name"),
        family_name=names.get("family_name"),
        groups=names.get("groups"),
    )
