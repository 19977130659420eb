"""Reading what an IdP's admin hands over — X.509 signing certificates in PEM, IdP metadata XML
— and writing what tenantry hands back: the service provider's metadata XML.

Certificates are parsed by ``cryptography``; metadata is parsed by ``defusedxml``, which refuses
DTDs, entities and external references (no XXE, no entity expansion bombs).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Final
from xml.etree.ElementTree import Element, SubElement, register_namespace, tostring

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from tenantry.domain.connection_errors import InvalidCertificate, InvalidSamlMetadata
from tenantry.domain.connection_values import Certificate

MD: Final = "urn:oasis:names:tc:SAML:2.0:metadata"
DS: Final = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT: Final = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST: Final = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
EMAIL_NAME_ID: Final = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
METADATA_MAX: Final = 1_000_000
PEM_MAX: Final = 20_000


def certificate(pem: str | bytes, field: str = "saml.certificates") -> Certificate:
    """The certificate in ``pem`` (PEM, or the bare base64 DER that metadata carries)."""
    if not isinstance(pem, str | bytes):
        raise InvalidCertificate(field, "must be an X.509 certificate in PEM")
    data = pem.encode() if isinstance(pem, str) else pem
    if len(data) > PEM_MAX:
        raise InvalidCertificate(field, f"must be at most {PEM_MAX} bytes")
    if b"-----BEGIN" not in data:
        body = "\n".join(textwrap.wrap(b"".join(data.split()).decode("ascii", "replace"), 64))
        data = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n".encode()
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise InvalidCertificate(field, "must be an X.509 certificate in PEM") from None
    return Certificate(
        pem=cert.public_bytes(Encoding.PEM).decode("ascii"),
        subject=cert.subject.rfc4514_string(),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sso_url: str | None
    certificates: tuple[Certificate, ...]


def idp_metadata(xml: str | bytes, field: str = "saml.metadata_xml") -> IdpMetadata:
    """The IdP's entity ID, HTTP-Redirect (else HTTP-POST) SSO URL and signing certificates."""
    if not isinstance(xml, str | bytes):
        raise InvalidSamlMetadata(field, "must be the IdP's metadata XML")
    data = xml.encode() if isinstance(xml, str) else xml
    if len(data) > METADATA_MAX:
        raise InvalidSamlMetadata(field, f"must be at most {METADATA_MAX} bytes")
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise InvalidSamlMetadata(
            field, "must not use DTDs, entities or external references"
        ) from None
    except ParseError:
        raise InvalidSamlMetadata(field, "must be well-formed XML") from None
    descriptor = root if root.tag == f"{{{MD}}}EntityDescriptor" else None
    if descriptor is None:
        descriptor = root.find(f"{{{MD}}}EntityDescriptor")
    idp = None if descriptor is None else descriptor.find(f"{{{MD}}}IDPSSODescriptor")
    if descriptor is None or idp is None or not descriptor.get("entityID"):
        raise InvalidSamlMetadata(field, "must hold an EntityDescriptor with an IDPSSODescriptor")
    services = {
        s.get("Binding"): s.get("Location") for s in idp.iter(f"{{{MD}}}SingleSignOnService")
    }
    certificates = []
    for key in idp.iter(f"{{{MD}}}KeyDescriptor"):
        if key.get("use", "signing") != "signing":
            continue
        for value in key.iter(f"{{{DS}}}X509Certificate"):
            certificates.append(certificate(value.text or "", field))
    return IdpMetadata(
        entity_id=str(descriptor.get("entityID")),
        sso_url=services.get(REDIRECT) or services.get(POST),
        certificates=tuple(certificates),
    )


def sp_metadata(entity_id: str, acs_url: str) -> str:
    """The service provider's metadata: entity ID, ACS (HTTP-POST), e-mail NameID, signed
    assertions wanted."""
    register_namespace("md", MD)
    root = Element(f"{{{MD}}}EntityDescriptor", {"entityID": entity_id})
    sp = SubElement(
        root,
        f"{{{MD}}}SPSSODescriptor",
        {
            "AuthnRequestsSigned": "false",
            "WantAssertionsSigned": "true",
            "protocolSupportEnumeration": "urn:oasis:names:tc:SAML:2.0:protocol",
        },
    )
    SubElement(sp, f"{{{MD}}}NameIDFormat").text = EMAIL_NAME_ID
    SubElement(
        sp,
        f"{{{MD}}}AssertionConsumerService",
        {"Binding": POST, "Location": acs_url, "index": "0", "isDefault": "true"},
    )
    return tostring(root, encoding="unicode", xml_declaration=True)
