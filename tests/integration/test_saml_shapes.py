"""Responses refused for their shape or settings, and the replay cache's memory."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tenantry.adapters.sso.replay import MemoryReplayCache
from tenantry.adapters.sso.saml_config import SamlIdp, SamlSp
from tenantry.adapters.sso.saml_response import SamlResponseValidator
from tenantry.adapters.sso.saml_xml import NS, SAML, SAMLP, q
from tenantry.errors import InvalidField, SamlRejected
from tests.integration.saml_idp import SP, FakeSamlIdp, encode, sign
from tests.integration.saml_support import idp, validator
from tests.support import FakeClock

__all__ = ["idp", "validator"]


def refused(validator: SamlResponseValidator, root: etree._Element) -> str:
    with pytest.raises(SamlRejected) as error:
        validator.validate(encode(root), request_id="_req")
    return error.value.reason


@pytest.mark.parametrize(
    "c14n",
    [
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
        "http://www.w3.org/2006/12/xml-c14n11",
    ],
)
def test_a_signature_without_plain_exclusive_c14n_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock, c14n: str
) -> None:
    assertion = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys, c14n=c14n)
    assert refused(validator, idp.response(clock(), assertion, in_response_to="_req")) == (
        "unsupported_algorithm"
    )


def test_a_signature_whose_reference_is_not_its_parent_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    assertion = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys)
    assertion.set("ID", "_renamed")
    assert refused(validator, idp.response(clock(), assertion, in_response_to="_req")) == (
        "bad_signature"
    )


def test_a_signed_response_wrapped_in_a_forged_one_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    genuine = sign(
        idp.response(clock(), idp.assertion(clock(), in_response_to="_req"), in_response_to="_req"),
        idp.keys,
    )
    forged_assertion = idp.assertion(clock(), in_response_to="_req", subject="admin@example.com")
    forged = idp.response(clock(), forged_assertion, in_response_to="_req")
    extensions = etree.SubElement(forged, q(SAMLP, "Extensions"))
    extensions.append(genuine)
    assert refused(validator, forged) == "ambiguous_assertion"
    genuine.remove(genuine.find("saml:Assertion", NS))  # type: ignore[arg-type]
    assert refused(validator, forged) == "unsigned"


def test_an_encrypted_assertion_is_refused_as_unsupported(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    response = idp.response(clock(), None, in_response_to="_req")
    etree.SubElement(response, q(SAML, "EncryptedAssertion"))
    assert refused(validator, response) == "encrypted_assertion"


def test_a_response_without_assertion_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    response = sign(idp.response(clock(), None, in_response_to="_req"), idp.keys)
    assert refused(validator, response) == "missing_assertion"


def test_an_assertion_without_bearer_confirmation_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    assertion = idp.assertion(clock(), in_response_to="_req")
    confirmation = assertion.find("saml:Subject/saml:SubjectConfirmation", NS)
    assert confirmation is not None
    confirmation.set("Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")
    response = idp.response(clock(), sign(assertion, idp.keys), in_response_to="_req")
    assert refused(validator, response) == "wrong_recipient"


def test_a_configured_skew_above_three_minutes_is_capped(
    idp: FakeSamlIdp, clock: FakeClock
) -> None:
    sp = SamlSp(
        "https://sp.example.test/sso/saml/conn_1", "https://sp.example.test/sso/saml/conn_1/acs"
    )
    lenient = SamlResponseValidator(
        idp.config, sp, MemoryReplayCache(), clock, skew=timedelta(hours=1)
    )
    posted = idp.login(clock(), request_id="_req")
    clock.advance(timedelta(minutes=9))
    with pytest.raises(SamlRejected) as error:
        lenient.validate(posted, request_id="_req")
    assert error.value.reason == "expired"


def test_idp_settings_name_the_field_they_break(idp: FakeSamlIdp) -> None:
    with pytest.raises(InvalidField) as bad_pem:
        SamlIdp(idp.entity_id, "https://idp.example.test/sso", ("not a certificate",))
    assert bad_pem.value.field == "idp_certificates"
    with pytest.raises(InvalidField) as no_cert:
        SamlIdp(idp.entity_id, "https://idp.example.test/sso", ())
    assert no_cert.value.field == "idp_certificates"
    with pytest.raises(InvalidField) as bad_url:
        SamlSp("https://sp.example.test", "ftp://sp.example.test/acs")
    assert bad_url.value.field == "sp_acs_url"


def test_the_replay_cache_forgets_an_id_once_it_expires(clock: FakeClock) -> None:
    cache = MemoryReplayCache()
    until = clock() + timedelta(minutes=5)
    assert cache.claim("a", expires_at=until, now=clock())
    assert not cache.claim("a", expires_at=until, now=clock() + timedelta(minutes=4))
    assert cache.claim("a", expires_at=until + timedelta(minutes=5), now=until)
    assert len(cache) == 1


_NAME = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=2,
    max_size=30,
)


@settings(max_examples=25, deadline=None)
@given(name=_NAME, cut=st.integers(min_value=1, max_value=29))
def test_a_comment_anywhere_in_any_name_id_leaves_it_whole(
    idp: FakeSamlIdp, name: str, cut: int
) -> None:
    clock = FakeClock()
    checker = SamlResponseValidator(idp.config, SP, MemoryReplayCache(), clock)
    assertion = sign(idp.assertion(clock(), in_response_to="_req", subject=name), idp.keys)
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    assert name_id is not None
    cut = min(cut, len(name) - 1)
    name_id.text = name[:cut]
    comment = etree.Comment("")
    comment.tail = name[cut:]
    name_id.append(comment)
    identity = checker.validate(
        encode(idp.response(clock(), assertion, in_response_to="_req")), request_id="_req"
    )
    assert identity.subject == name


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_changing_any_signed_text_breaks_the_signature(
    idp: FakeSamlIdp, data: st.DataObject
) -> None:
    clock = FakeClock()
    checker = SamlResponseValidator(idp.config, SP, MemoryReplayCache(), clock)
    assertion = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys)
    # Every text of the assertion outside its signature (the IdP's statements).
    texts = [
        e
        for e in assertion.iter()
        if e.text and e.text.strip() and etree.QName(e).namespace == SAML
    ]
    target = data.draw(st.sampled_from(texts))
    position = data.draw(st.integers(min_value=0, max_value=len(target.text) - 1))
    replacement = data.draw(st.characters(codec="ascii", min_codepoint=33, max_codepoint=126))
    text = target.text
    if text[position] == replacement:
        replacement = "x" if replacement != "x" else "y"
    target.text = text[:position] + replacement + text[position + 1 :]
    with pytest.raises(SamlRejected) as error:
        checker.validate(
            encode(idp.response(clock(), assertion, in_response_to="_req")), request_id="_req"
        )
    assert error.value.reason == "bad_signature"


def test_an_assertion_of_another_saml_version_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    assertion = idp.assertion(clock(), in_response_to="_req")
    assertion.set("Version", "1.1")
    response = idp.response(clock(), sign(assertion, idp.keys), in_response_to="_req")
    assert refused(validator, response) == "malformed"
