"""Attacks on the assertion consumer service, each refused with its own stable reason."""

from __future__ import annotations

import base64
import copy
from datetime import timedelta

import pytest
from lxml import etree

from tenantry.adapters.sso.saml_response import SamlResponseValidator
from tenantry.adapters.sso.saml_xml import NS, SAML, SAMLP, q
from tenantry.errors import SamlRejected
from tests.integration.saml_idp import FakeSamlIdp, KeyPair, encode, sign
from tests.integration.saml_support import idp, stranger, validator
from tests.support import FakeClock

__all__ = ["idp", "stranger", "validator"]


def refused(validator: SamlResponseValidator, posted: str, request_id: str | None = "_req") -> str:
    with pytest.raises(SamlRejected) as error:
        validator.validate(posted, request_id=request_id)
    return error.value.reason


def test_an_unsigned_assertion_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    response = idp.response(
        clock(), idp.assertion(clock(), in_response_to="_req"), in_response_to="_req"
    )
    assert refused(validator, encode(response)) == "unsigned"


def test_a_signature_by_another_key_is_refused(
    idp: FakeSamlIdp, stranger: KeyPair, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    # The stranger's certificate travels in the signature's KeyInfo: it must not be trusted.
    assertion = sign(idp.assertion(clock(), in_response_to="_req"), stranger)
    assert assertion.find("ds:Signature/ds:KeyInfo", NS) is not None
    response = idp.response(clock(), assertion, in_response_to="_req")
    assert refused(validator, encode(response)) == "bad_signature"


def test_a_response_signed_by_another_key_is_refused(
    idp: FakeSamlIdp, stranger: KeyPair, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    assertion = idp.assertion(clock(), in_response_to="_req")
    response = sign(idp.response(clock(), assertion, in_response_to="_req"), stranger)
    assert refused(validator, encode(response)) == "bad_signature"


def test_an_assertion_changed_after_signing_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    assertion = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys)
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    assert name_id is not None
    name_id.text = "admin@example.com"
    response = idp.response(clock(), assertion, in_response_to="_req")
    assert refused(validator, encode(response)) == "bad_signature"


def test_a_second_unsigned_assertion_beside_the_signed_one_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    signed = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys)
    response = idp.response(
        clock(),
        idp.assertion(clock(), in_response_to="_req", subject="admin@example.com"),
        in_response_to="_req",
    )
    response.append(signed)
    assert refused(validator, encode(response)) == "ambiguous_assertion"


def test_a_signed_assertion_moved_into_a_wrapper_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    signed = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys)
    evil = idp.assertion(clock(), in_response_to="_req", subject="admin@example.com")
    response = idp.response(clock(), evil, in_response_to="_req")
    extensions = etree.Element(q(SAMLP, "Extensions"))
    response.insert(1, extensions)
    extensions.append(signed)
    assert refused(validator, encode(response)) == "ambiguous_assertion"


def test_a_signature_copied_onto_a_forged_assertion_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    # XSW: the forged assertion takes the genuine one's ID and signature; the genuine one hides
    # inside the signature, where the reference would still find it by ID.
    genuine = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys)
    forged = idp.assertion(
        clock(), in_response_to="_req", subject="admin@example.com", assertion_id=genuine.get("ID")
    )
    signature = copy.deepcopy(genuine.find("ds:Signature", NS))
    assert signature is not None
    forged.insert(1, signature)
    obj = etree.SubElement(signature, "{http://www.w3.org/2000/09/xmldsig#}Object")
    obj.append(genuine)
    response = idp.response(clock(), forged, in_response_to="_req")
    assert refused(validator, encode(response)) == "ambiguous_assertion"
    # Without the hidden copy the digest no longer matches the forged content.
    signature.remove(obj)
    assert refused(validator, encode(response)) == "bad_signature"


def test_a_signed_response_with_an_assertion_injected_beside_it_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    response = sign(
        idp.response(clock(), idp.assertion(clock(), in_response_to="_req"), in_response_to="_req"),
        idp.keys,
    )
    response.append(idp.assertion(clock(), in_response_to="_req", subject="admin@example.com"))
    assert refused(validator, encode(response)) == "ambiguous_assertion"


def test_a_comment_inside_the_name_id_does_not_truncate_it(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    # The attacker owns ada@example.com.evil.example and splits it with a comment after signing;
    # exclusive c14n ignores comments, so the signature still verifies.
    real = "ada@example.com.evil.example"
    assertion = sign(idp.assertion(clock(), in_response_to="_req", subject=real), idp.keys)
    xml = etree.tostring(idp.response(clock(), assertion, in_response_to="_req"))
    xml = xml.replace(b">ada@example.com.evil.example<", b">ada@example.com<!---->.evil.example<")
    assert xml.count(b"<!---->") == 2  # the NameID and the email attribute
    identity = validator.validate(base64.b64encode(xml).decode(), request_id="_req")
    assert identity.subject == real
    assert identity.email == real


@pytest.mark.parametrize(("minutes", "reason"), [(9, "expired"), (30, "expired")])
def test_an_expired_assertion_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock, minutes: int, reason: str
) -> None:
    posted = idp.login(clock(), request_id="_req")  # valid for 5 minutes, 3 minutes of skew
    clock.advance(timedelta(minutes=minutes))
    assert refused(validator, posted) == reason


def test_an_assertion_just_past_expiry_is_taken_within_the_skew(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    posted = idp.login(clock(), request_id="_req")
    clock.advance(timedelta(minutes=7))
    assert validator.validate(posted, request_id="_req").subject == "ada@example.com"


def test_a_not_yet_valid_assertion_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    later = clock() + timedelta(minutes=10)
    posted = idp.login(
        clock(), request_id="_req", not_before=later, not_on_or_after=later + timedelta(minutes=5)
    )
    assert refused(validator, posted) == "not_yet_valid"


def test_a_wrong_audience_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    posted = idp.login(clock(), request_id="_req", audience="https://other-sp.example.test")
    assert refused(validator, posted) == "wrong_audience"


def test_a_wrong_recipient_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    posted = idp.login(clock(), request_id="_req", recipient="https://other-sp.example.test/acs")
    assert refused(validator, posted) == "wrong_recipient"


def test_a_wrong_destination_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    assertion = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys)
    response = idp.response(
        clock(), assertion, in_response_to="_req", destination="https://other-sp.example.test/acs"
    )
    assert refused(validator, encode(response)) == "wrong_destination"


def test_a_signed_response_without_destination_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    response = sign(
        idp.response(
            clock(),
            idp.assertion(clock(), in_response_to="_req"),
            in_response_to="_req",
            destination=None,
        ),
        idp.keys,
    )
    assert refused(validator, encode(response)) == "wrong_destination"


def test_a_wrong_issuer_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    posted = idp.login(clock(), request_id="_req", issuer="https://other-idp.example.test")
    assert refused(validator, posted) == "wrong_issuer"


def test_a_replayed_assertion_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    posted = idp.login(clock(), request_id="_req")
    validator.validate(posted, request_id="_req")
    assert refused(validator, posted) == "replayed"


def test_a_response_to_another_request_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    posted = idp.login(clock(), request_id="_someone_elses_request")
    assert refused(validator, posted, request_id="_req") == "unknown_request"
    assert refused(validator, posted, request_id=None) == "unknown_request"


def test_a_sha1_signature_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    assertion = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys, sha1=True)
    response = idp.response(clock(), assertion, in_response_to="_req")
    assert refused(validator, encode(response)) == "weak_algorithm"


def test_a_doctype_with_entities_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    xml = base64.b64decode(idp.login(clock(), request_id="_req"))
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    assert refused(validator, base64.b64encode(bomb + xml).decode()) == "forbidden_dtd"


def test_an_error_status_from_the_idp_is_refused(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    failed = "urn:oasis:names:tc:SAML:2.0:status:Responder"
    assertion = sign(idp.assertion(clock(), in_response_to="_req"), idp.keys)
    response = idp.response(clock(), assertion, in_response_to="_req", status=failed)
    assert refused(validator, encode(response)) == "idp_error"


def test_an_expired_idp_certificate_is_reported(
    idp: FakeSamlIdp, validator: SamlResponseValidator, clock: FakeClock
) -> None:
    posted = idp.login(clock(), request_id="_req")
    clock.set(clock().replace(year=2031))  # past the certificate's not-after (and the assertion's)
    assert refused(validator, posted) == "certificate_expired"


def test_garbage_is_refused_as_malformed(validator: SamlResponseValidator) -> None:
    assert refused(validator, "not base64!") == "malformed"
    assert refused(validator, base64.b64encode(b"<unclosed").decode()) == "malformed"
    other = etree.tostring(etree.Element(q(SAML, "Assertion")))
    assert refused(validator, base64.b64encode(other).decode()) == "malformed"
