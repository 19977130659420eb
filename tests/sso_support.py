"""Test support for SSO connections and domains: real X.509 certificates made with
``cryptography``, IdP metadata around them, and a DNS resolver object answering TXT queries
from a table (dnspython's ``resolve`` interface, returning dnspython's own TXT rdata)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
"""The tests' clock starts here (tests.support.FakeClock)."""


def make_certificate(
    common_name: str = "idp.example.com",
    *,
    not_before: datetime = T0 - timedelta(days=1),
    not_after: datetime = T0 + timedelta(days=365),
) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def idp_metadata_xml(
    cert: x509.Certificate,
    entity_id: str = "https://idp.example.com/metadata",
    sso_url: str = "https://idp.example.com/sso",
) -> str:
    der = "".join(pem(cert).strip().splitlines()[1:-1])
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>
        {der}
      </ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{sso_url}/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{sso_url}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


class TableResolver:
    """Answers ``resolve(name, "TXT")`` from ``records`` (name -> TXT strings) as dnspython's
    resolver would: a list of TXT rdata, ``NXDOMAIN`` for an unknown name, ``NoAnswer`` for a
    name without TXT records."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.queries: list[tuple[str, str]] = []

    def resolve(self, qname: str, rdtype: str) -> list[dns.rdata.Rdata]:
        self.queries.append((qname, rdtype))
        if qname not in self.records:
            raise dns.resolver.NXDOMAIN()
        texts = self.records[qname]
        if not texts:
            raise dns.resolver.NoAnswer()
        return [
            dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, f'"{text}"') for text in texts
        ]
