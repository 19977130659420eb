"""A configured connection feeds the SSO protocol core: its IdP and SP (with the certificates
it was given) make the core's AuthnRequest, and its attribute names come first in the core's
mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

import tenantry
from tenantry.adapters.sso.saml_request import authn_request_xml, new_request_id
from tenantry.adapters.sso_wiring import attribute_mapping, saml_parties
from tenantry.errors import ConnectionIncomplete, WrongConnectionType
from tests.sso_support import make_certificate, pem


def test_a_configured_saml_connection_makes_the_cores_authn_request() -> None:
    t = tenantry.connect("memory://")
    t.configure_sso(base_url="https://auth.example.com")
    org = t.create_organization("Acme").id
    conn_id = t.create_connection(org, "SAML").id
    with pytest.raises(ConnectionIncomplete):
        saml_parties(t.get_connection(org, conn_id))
    cert = make_certificate("idp.acme.example")
    conn = t.update_connection(
        org,
        conn_id,
        attribute_mapping={"email": "mail"},
        saml={
            "idp_entity_id": "https://idp.acme.example",
            "sso_url": "https://idp.acme.example/sso",
            "certificates": [pem(cert)],
        },
    )
    idp, sp = saml_parties(t.find_connection(conn_id))
    assert [c.fingerprint(cert.signature_hash_algorithm) for c in idp.certificates] == [  # type: ignore[arg-type]
        cert.fingerprint(cert.signature_hash_algorithm)  # type: ignore[arg-type]
    ]
    request = etree.fromstring(
        authn_request_xml(idp, sp, request_id=new_request_id(), now=datetime.now(UTC))
    )
    assert request.get("Destination") == "https://idp.acme.example/sso"
    assert (
        request.get("AssertionConsumerServiceURL")
        == f"https://auth.example.com/sso/v1/saml/{conn_id}/acs"
    )
    assert attribute_mapping(conn).email[0] == "mail"
    oidc = t.create_connection(org, "OIDC")
    with pytest.raises(WrongConnectionType):
        saml_parties(oidc)
    t.close()
