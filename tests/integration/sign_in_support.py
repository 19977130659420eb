"""A browser's part in the hosted sign-in, for the tests: tenantry's app with a test SAML IdP and
a test OIDC provider, an application registered to receive codes, and the round trips."""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import jwt
from fastapi.testclient import TestClient
from lxml import etree

from tenantry.adapters.sso.saml_xml import SAML, q
from tenantry.application.app import Tenantry
from tests.integration.oidc_provider import CLIENT_ID, CLIENT_SECRET, ISSUER
from tests.integration.saml_idp import FakeSamlIdp, encode, sign

BASE_URL = "https://auth.example.com"
APP_CALLBACK = "https://app.example.com/callback"
IDP_SSO_URL = "https://idp.example.test/saml/sso"


@dataclass
class Browser:
    """The user's browser at tenantry (cookies kept) and the application's credentials."""

    tenantry: TestClient
    t: Tenantry
    client_id: str
    client_secret: str

    def authorize(self, **params: str) -> Any:
        query = {"client_id": self.client_id, "redirect_uri": APP_CALLBACK, "state": "st-1"}
        return self.tenantry.get(
            "/oauth/authorize", params={**query, **params}, follow_redirects=False
        )

    def exchange(self, code: str, redirect_uri: str = APP_CALLBACK) -> Any:
        return self.tenantry.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )

    def verify(self, id_token: str) -> dict[str, Any]:
        """The ID token's claims, checked against tenantry's JWKS at ``/keys``."""
        keys = jwt.PyJWKSet.from_dict(self.tenantry.get("/keys").json())
        kid = jwt.get_unverified_header(id_token)["kid"]
        key = next(k for k in keys.keys if k.key_id == kid)
        claims: dict[str, Any] = jwt.decode(
            id_token, key, algorithms=["RS256"], audience=self.client_id, issuer=BASE_URL
        )
        return claims


def saml_connection(
    t: Tenantry, org_id: str, idp: FakeSamlIdp, *, idp_initiated: bool = False
) -> str:
    conn_id = t.create_connection(org_id, "SAML", "OKTA").id
    t.configure_saml_connection(
        org_id,
        conn_id,
        idp_entity_id=idp.entity_id,
        sso_url=IDP_SSO_URL,
        certificates=[idp.keys.cert_pem],
        idp_initiated_login=idp_initiated,
    )
    t.update_connection(
        org_id,
        conn_id,
        attribute_mapping={"given_name": "firstName", "family_name": "lastName"},
        group_roles={"Admins": "admin"},
    )
    t.enable_connection(org_id, conn_id)
    return conn_id


def oidc_connection(t: Tenantry, org_id: str) -> str:
    conn_id = t.create_connection(org_id, "OIDC", "OKTA").id
    t.configure_oidc_connection(
        org_id, conn_id, issuer=ISSUER, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    t.enable_connection(org_id, conn_id)
    return conn_id


def authn_request(location: str) -> etree._Element:
    """The AuthnRequest a redirect to the IdP carries."""
    query = parse_qs(urlsplit(location).query)
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), wbits=-15)
    return etree.fromstring(xml)


def idp_answer(
    idp: FakeSamlIdp,
    t: Tenantry,
    conn_id: str,
    request_id: str | None,
    *,
    email: str = "ada@acme.test",
    audience: str | None = None,
) -> str:
    """The signed SAMLResponse the IdP posts to the connection's ACS."""
    now = datetime.now(UTC)
    acs = t.sso_config.acs_url(conn_id)
    assertion = idp.assertion(
        now,
        subject=email,
        in_response_to=request_id,
        audience=audience or t.sso_config.sp_entity_id(conn_id),
        recipient=acs,
    )
    response = idp.response(
        now, sign(assertion, idp.keys), in_response_to=request_id, destination=acs
    )
    return encode(response)


def relay_state(location: str) -> str:
    """The RelayState a redirect to the IdP carries (the IdP posts it back unchanged)."""
    return parse_qs(urlsplit(location).query)["RelayState"][0]


def acs_path(conn_id: str) -> str:
    return f"/sso/v1/saml/{conn_id}/acs"


def code_of(answer: Any) -> dict[str, str]:
    """The query the browser is sent back to the application with."""
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == APP_CALLBACK
    return dict(parse_qsl(location.query))


def issuer_of(element: etree._Element) -> str | None:
    return element.findtext(q(SAML, "Issuer"))
