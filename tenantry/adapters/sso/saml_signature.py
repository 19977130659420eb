"""Verifying the XML signature of a SAML response or assertion with ``signxml``.

Only the configured IdP certificates are used: the signature's ``KeyInfo`` is removed before
verification, so no key or certificate carried in the message can take part. The signature must
be enveloped in the element it covers (one reference, to that element's ``ID``), use exclusive
canonicalisation, and SHA-2 digests and signatures; anything else is refused before any crypto.
The caller reads data only from the returned element, which signxml rebuilds from the bytes the
digest covered (so neither a wrapped copy nor a comment can change what is read).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, VerifyResult, XMLVerifier

from tenantry.adapters.sso.saml_xml import NS
from tenantry.domain.sso_errors import SamlReason, SamlRejected

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

_STRONG_SIGNATURES = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
    }
)
_STRONG_DIGESTS = frozenset(
    {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
)
_SIGNATURE_URIS = frozenset(m.value for m in _STRONG_SIGNATURES)
_DIGEST_URIS = frozenset(d.value for d in _STRONG_DIGESTS)


def _algorithm_refusal(uri: str | None, allowed: frozenset[str], what: str) -> None:
    if uri in allowed:
        return
    if uri and ("sha1" in uri.lower() or "md5" in uri.lower()):
        raise SamlRejected(SamlReason.WEAK_ALGORITHM, f"{what} {uri}")
    raise SamlRejected(SamlReason.UNSUPPORTED_ALGORITHM, f"{what} {uri}")


def check_signature_shape(signature: etree._Element, signed_id: str) -> None:
    """Refuses a signature that is not one enveloped, exclusive-c14n, SHA-2 reference to
    ``signed_id`` — before any cryptography runs."""
    signed_info = signature.find("ds:SignedInfo", NS)
    if signed_info is None:
        raise SamlRejected(SamlReason.MALFORMED, "signature without SignedInfo")
    c14n = signed_info.find("ds:CanonicalizationMethod", NS)
    _algorithm_refusal(
        None if c14n is None else c14n.get("Algorithm"),
        frozenset({EXC_C14N}),
        "canonicalization",
    )
    method = signed_info.find("ds:SignatureMethod", NS)
    _algorithm_refusal(
        None if method is None else method.get("Algorithm"), _SIGNATURE_URIS, "signature method"
    )
    references = signed_info.findall("ds:Reference", NS)
    if len(references) != 1 or references[0].get("URI") != f"#{signed_id}":
        raise SamlRejected(SamlReason.BAD_SIGNATURE, "the signature does not cover its parent")
    reference = references[0]
    digest = reference.find("ds:DigestMethod", NS)
    _algorithm_refusal(
        None if digest is None else digest.get("Algorithm"), _DIGEST_URIS, "digest method"
    )
    for transform in reference.iterfind("ds:Transforms/ds:Transform", NS):
        _algorithm_refusal(
            transform.get("Algorithm"), frozenset({ENVELOPED, EXC_C14N}), "transform"
        )


def verify_enveloped(
    root: etree._Element,
    signed: etree._Element,
    certificates: Sequence[x509.Certificate],
    *,
    now: datetime,
) -> etree._Element:
    """The element ``signed`` (inside ``root``) as its signature covers it, verified with one of
    ``certificates``.

    ``signed`` must carry its ``ds:Signature`` as a direct child. Raises :class:`SamlRejected`
    (``unsigned``, ``bad_signature``, ``weak_algorithm``, ``unsupported_algorithm``,
    ``certificate_expired``) otherwise.
    """
    signature = signed.find("ds:Signature", NS)
    signed_id = signed.get("ID")
    if signature is None or not signed_id:
        raise SamlRejected(SamlReason.UNSIGNED, f"{etree.QName(signed).localname} is not signed")
    check_signature_shape(signature, signed_id)

    # Verify a copy whose signature has no KeyInfo: only the configured certificates count.
    document = copy.deepcopy(root)
    target = document if signed is root else document[root.index(signed)]
    for target_signature in target.findall("ds:Signature", NS):
        for key_info in target_signature.findall("ds:KeyInfo", NS):
            target_signature.remove(key_info)
    tag = etree.QName(signed)
    location = "./" if signed is root else f"./{{{tag.namespace}}}{tag.localname}/"
    config = SignatureConfiguration(
        require_x509=True,
        location=location,
        expect_references=1,
        signature_methods=_STRONG_SIGNATURES,
        digest_algorithms=_STRONG_DIGESTS,
        verification_time=now,
    )
    expired = False
    for certificate in certificates:
        try:
            result = XMLVerifier().verify(document, x509_cert=certificate, expect_config=config)
        except InvalidCertificate:
            expired = True
            continue
        except (InvalidSignature, InvalidInput):
            continue
        verified = result.signed_xml if isinstance(result, VerifyResult) else None
        if verified is None or verified.tag != signed.tag or verified.get("ID") != signed_id:
            raise SamlRejected(SamlReason.BAD_SIGNATURE, "the signature covers another element")
        return verified
    if expired:
        raise SamlRejected(SamlReason.CERTIFICATE_EXPIRED, "the IdP certificate is not valid now")
    raise SamlRejected(SamlReason.BAD_SIGNATURE, "no configured certificate verifies it")
