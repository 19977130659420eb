"""SAML sign-in that works: the AuthnRequest, and responses signed the ways IdPs sign them."""

from __future__ import annotations

import base64
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree

from tenantry.adapters.sso.saml_request import start_login
from tenantry.adapters.sso.saml_response import SamlResponseValidator
from tenantry.adapters.sso.saml_xml import SAML, SAMLP, q
from tenantry.errors import InvalidField, SamlRejected
from tests.integration.saml_idp import SP, FakeSamlIdp, encode, sign
from tests.integration.saml_support import idp, validator
from tests.support import FakeClock

__all__ = ["idp", "validator"]


def test_the_authn_request_travels_deflated_in_the_redirect_url(
    idp: FakeSamlIdp, clock: FakeClock
) -> None:
    login = start_login(idp.config, SP, now=clock(), relay_state="/dashboard")
    url = urlsplit(login.redirect_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == idp.config.sso_url
    query = parse_qs(url.query)
    assert query["RelayState"] == ["/dashboard"]
    xml = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), wbits=-15)
    request = etree.fromstring(xml)
    assert request.tag == q(SAMLP, "AuthnRequest")
    assert request.get("ID") == login.request_id
    assert request.get("Destination") == idp.config.sso_url
    assert request.get("AssertionConsumerServiceURL") == SP.acs_url
    assert request.findtext(q(SAML, "Issuer")) == SP.entity_id


def test_each_login_gets_its_own_request_id(idp: FakeSamlIdp, clock: FakeClock) -> None:
    ids = {start_login(idp.config, SP, now=clock()).request_id for _ in range(5)}
    assert len(ids) == 5
    assert all(i.startswith("_") for i in ids)


def test_a_relay_state_over_80_bytes_is_refused(idp: FakeSamlIdp, clock: FakeClock) -> None:
    with pytest.raises(InvalidField) as refused:
        start_login(idp.config, SP, now=clock(), relay_state="x" * 81)
    assert refused.value.field == "relay_state"


def test_a_signed_assertion_signs_the_user_in(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    login = start_login(idp.config, SP, now=clock())
    identity = validator.validate(
        idp.login(clock(), request_id=login.request_id), request_id=login.request_id
    )
    assert identity.protocol == "saml"
    assert identity.issuer == idp.entity_id
    assert identity.subject == "ada@example.com"
    assert identity.email == "ada@example.com"
    assert (identity.given_name, identity.family_name) == ("Ada", "Lovelace")
    assert identity.groups == ("Engineering", "Admins")
    assert identity.session_index == "_session_1"
    assert identity.attributes["firstName"] == ("Ada",)


def test_a_signed_response_around_an_unsigned_assertion_signs_the_user_in(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    assertion = idp.assertion(clock(), in_response_to="_req1", subject="grace@example.com")
    response = sign(idp.response(clock(), assertion, in_response_to="_req1"), idp.keys)
    identity = validator.validate(encode(response), request_id="_req1")
    assert identity.subject == "grace@example.com"


def test_both_signatures_together_are_accepted(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    identity = validator.validate(
        idp.login(clock(), request_id="_r", sign_response=True), request_id="_r"
    )
    assert identity.email == "ada@example.com"


def test_an_idp_initiated_login_is_taken_only_when_allowed(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    with pytest.raises(SamlRejected) as refused:
        validator.validate(idp.login(clock(), request_id=None), request_id=None)
    assert refused.value.reason == "unsolicited"
    identity = validator.validate(
        idp.login(clock(), request_id=None), request_id=None, allow_idp_initiated=True
    )
    assert identity.subject == "ada@example.com"


def test_a_rolled_over_certificate_list_verifies_with_the_new_certificate(
    idp: FakeSamlIdp, clock: FakeClock
) -> None:
    from tenantry.adapters.sso.replay import MemoryReplayCache
    from tenantry.adapters.sso.saml_config import SamlIdp
    from tests.integration.saml_idp import KeyPair

    old = KeyPair.generate("Old IdP key")
    config = SamlIdp(idp.entity_id, idp.config.sso_url, (old.cert_pem, idp.keys.cert_pem))
    checker = SamlResponseValidator(config, SP, MemoryReplayCache(), clock)
    assert (
        checker.validate(idp.login(clock(), request_id="_x"), request_id="_x").subject
        == "ada@example.com"
    )


def test_a_missing_email_is_refused_naming_the_attribute(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    assertion = idp.assertion(clock(), in_response_to="_q", attributes={"firstName": ["Ada"]})
    assertion.find(f"{q(SAML, 'Subject')}/{q(SAML, 'NameID')}").set(  # type: ignore[union-attr]
        "Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    )
    response = idp.response(clock(), sign(assertion, idp.keys), in_response_to="_q")
    with pytest.raises(SamlRejected) as refused:
        validator.validate(encode(response), request_id="_q")
    assert refused.value.reason == "missing_attribute"
