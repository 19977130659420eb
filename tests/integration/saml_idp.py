"""A SAML identity provider for the tests: real responses signed with ``signxml`` and a throwaway
RSA key and self-signed certificate made with ``cryptography``."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

from tenantry.adapters.sso.saml_config import SamlIdp, SamlSp
from tenantry.adapters.sso.saml_xml import (
    BEARER,
    DS,
    EMAIL_FORMAT,
    SAML,
    SAMLP,
    SUCCESS,
    q,
    saml_instant,
)

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
IDP_ENTITY_ID = "https://idp.example.test/saml/metadata"
SP = SamlSp(
    entity_id="https://sp.example.test/sso/saml/conn_1",
    acs_url="https://sp.example.test/sso/saml/conn_1/acs",
)


@dataclass(frozen=True)
class KeyPair:
    """A private key and its self-signed certificate, both PEM."""

    key_pem: str
    cert_pem: str

    @classmethod
    def generate(cls, name: str = "Test IdP") -> KeyPair:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
            .not_valid_after(datetime(2030, 1, 1, tzinfo=UTC))
            .sign(key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return cls(key_pem, cert.public_bytes(serialization.Encoding.PEM).decode())


class _Sha1Signer(XMLSigner):
    """signxml refuses to sign with SHA-1; an attacker's (or an old IdP's) tool does not."""

    def check_deprecated_methods(self) -> None:
        return None


def sign(element: etree._Element, keys: KeyPair, *, sha1: bool = False) -> etree._Element:
    """``element`` with an enveloped signature (exclusive c14n) placed after its Issuer."""
    signer_class = _Sha1Signer if sha1 else XMLSigner
    signer = signer_class(
        signature_algorithm=SignatureMethod.RSA_SHA1 if sha1 else SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA1 if sha1 else DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    )
    placeholder = etree.Element(q(DS, "Signature"), Id="placeholder", nsmap={"ds": DS})
    issuer = element.find(q(SAML, "Issuer"))
    (issuer.addnext(placeholder) if issuer is not None else element.insert(0, placeholder))
    signed: etree._Element = signer.sign(
        element, key=keys.key_pem, cert=keys.cert_pem, reference_uri=element.get("ID")
    )
    return signed


def encode(root: etree._Element) -> str:
    """The HTTP-POST ``SAMLResponse`` value of ``root``."""
    return base64.b64encode(etree.tostring(root)).decode()


@dataclass
class FakeSamlIdp:
    """Builds responses the way Okta or Entra ID does; every field can be overridden."""

    keys: KeyPair = field(default_factory=KeyPair.generate)
    entity_id: str = IDP_ENTITY_ID

    @property
    def config(self) -> SamlIdp:
        return SamlIdp(self.entity_id, "https://idp.example.test/saml/sso", (self.keys.cert_pem,))

    def assertion(
        self,
        now: datetime,
        *,
        subject: str = "ada@example.com",
        in_response_to: str | None = None,
        audience: str = SP.entity_id,
        recipient: str = SP.acs_url,
        not_before: datetime | None = None,
        not_on_or_after: datetime | None = None,
        issuer: str | None = None,
        attributes: dict[str, list[str]] | None = None,
        assertion_id: str | None = None,
    ) -> etree._Element:
        ends = saml_instant(not_on_or_after or now + timedelta(minutes=5))
        a = etree.Element(
            q(SAML, "Assertion"),
            nsmap={"saml": SAML},
            attrib={
                "ID": assertion_id or "_a" + secrets.token_hex(16),
                "Version": "2.0",
                "IssueInstant": saml_instant(now),
            },
        )
        etree.SubElement(a, q(SAML, "Issuer")).text = issuer or self.entity_id
        subj = etree.SubElement(a, q(SAML, "Subject"))
        etree.SubElement(subj, q(SAML, "NameID"), Format=EMAIL_FORMAT).text = subject
        confirmation = etree.SubElement(subj, q(SAML, "SubjectConfirmation"), Method=BEARER)
        data = etree.SubElement(
            confirmation, q(SAML, "SubjectConfirmationData"), Recipient=recipient, NotOnOrAfter=ends
        )
        if in_response_to:
            data.set("InResponseTo", in_response_to)
        conditions = etree.SubElement(
            a,
            q(SAML, "Conditions"),
            NotBefore=saml_instant(not_before or now - timedelta(minutes=1)),
            NotOnOrAfter=ends,
        )
        restriction = etree.SubElement(conditions, q(SAML, "AudienceRestriction"))
        etree.SubElement(restriction, q(SAML, "Audience")).text = audience
        statement = etree.SubElement(
            a, q(SAML, "AuthnStatement"), AuthnInstant=saml_instant(now), SessionIndex="_session_1"
        )
        context = etree.SubElement(statement, q(SAML, "AuthnContext"))
        etree.SubElement(
            context, q(SAML, "AuthnContextClassRef")
        ).text = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        values = {
            "email": [subject],
            "firstName": ["Ada"],
            "lastName": ["Lovelace"],
            "groups": ["Engineering", "Admins"],
        }
        statement = etree.SubElement(a, q(SAML, "AttributeStatement"))
        for name, items in (attributes if attributes is not None else values).items():
            attribute = etree.SubElement(statement, q(SAML, "Attribute"), Name=name)
            for item in items:
                etree.SubElement(attribute, q(SAML, "AttributeValue")).text = item
        return a

    def response(
        self,
        now: datetime,
        assertion: etree._Element | None,
        *,
        in_response_to: str | None = None,
        destination: str | None = SP.acs_url,
        status: str = SUCCESS,
    ) -> etree._Element:
        r = etree.Element(
            q(SAMLP, "Response"),
            nsmap={"samlp": SAMLP, "saml": SAML},
            attrib={
                "ID": "_r" + secrets.token_hex(16),
                "Version": "2.0",
                "IssueInstant": saml_instant(now),
            },
        )
        if destination:
            r.set("Destination", destination)
        if in_response_to:
            r.set("InResponseTo", in_response_to)
        etree.SubElement(r, q(SAML, "Issuer")).text = self.entity_id
        etree.SubElement(
            etree.SubElement(r, q(SAMLP, "Status")), q(SAMLP, "StatusCode"), Value=status
        )
        if assertion is not None:
            r.append(assertion)
        return r

    def login(
        self,
        now: datetime,
        *,
        request_id: str | None,
        sign_response: bool = False,
        **kwargs: object,
    ) -> str:
        """A complete, validly signed response (assertion signed; the response too if asked)."""
        assertion = sign(self.assertion(now, in_response_to=request_id, **kwargs), self.keys)  # type: ignore[arg-type]
        response = self.response(now, assertion, in_response_to=request_id)
        return encode(sign(response, self.keys) if sign_response else response)
