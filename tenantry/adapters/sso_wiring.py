"""From a configured connection to what the SSO protocol core (:mod:`tenantry.adapters.sso`)
takes: the SAML identity provider and service provider of a connection, and its attribute
mapping. The core knows no connections; the sign-in routes load a connection
(``Tenantry.find_connection``) and hand these to it."""

from __future__ import annotations

from tenantry.adapters.sso.identity import AttributeMapping
from tenantry.adapters.sso.saml_config import SamlIdp, SamlSp
from tenantry.application.connection_dto import Connection
from tenantry.domain.connection_errors import ConnectionIncomplete, WrongConnectionType


def saml_parties(connection: Connection) -> tuple[SamlIdp, SamlSp]:
    """The connection's IdP (entity ID, SSO URL, signing certificates) and this SP (entity ID,
    ACS URL); :class:`ConnectionIncomplete` while a setting is missing."""
    saml = connection.saml_config
    if saml is None:
        raise WrongConnectionType(connection.type, "SAML")
    if saml.idp_entity_id is None or saml.idp_sso_url is None or not saml.idp_certificates:
        raise ConnectionIncomplete(connection.missing)
    idp = SamlIdp(
        entity_id=saml.idp_entity_id,
        sso_url=saml.idp_sso_url,
        certificates_pem=tuple(c.pem for c in saml.idp_certificates),
    )
    return idp, SamlSp(entity_id=saml.sp_entity_id, acs_url=saml.sp_acs_url)


def attribute_mapping(connection: Connection) -> AttributeMapping:
    """The connection's attribute names tried first, then the core's defaults."""
    names = connection.attribute_mapping.attributes
    return AttributeMapping.configured(
        email=names.get("email"),
        given_name=names.get("given_name"),
        family_name=names.get("family_name"),
        groups=names.get("groups"),
    )
