"""Parsing untrusted SAML XML safely, and the names and small readers the SAML modules share."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from lxml import etree

from tenantry.domain.sso_errors import SamlReason, SamlRejected

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS}
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"

#: The largest SAMLResponse form value accepted (base64 text).
MAX_MESSAGE_CHARS = 1_000_000


def q(ns: str, name: str) -> str:
    """``{namespace}name``, lxml's qualified tag."""
    return f"{{{ns}}}{name}"


def _parser() -> etree.XMLParser:
    # No entity expansion, no DTD loading, no network, no giant trees: a SAML message needs none.
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_pis=True,
    )


def decode_posted(value: str) -> bytes:
    """The XML bytes of an HTTP-POST ``SAMLResponse`` form value (base64)."""
    if len(value) > MAX_MESSAGE_CHARS:
        raise SamlRejected(SamlReason.MALFORMED, "message too large")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SamlRejected(SamlReason.MALFORMED, "SAMLResponse is not base64") from None


def parse_untrusted(xml: bytes) -> etree._Element:
    """The root element of ``xml``; refuses any DTD (and so every entity declaration)."""
    try:
        tree = etree.fromstring(xml, parser=_parser()).getroottree()
    except etree.XMLSyntaxError:
        raise SamlRejected(SamlReason.MALFORMED, "not well-formed XML") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise SamlRejected(SamlReason.FORBIDDEN_DTD, "a DOCTYPE is not allowed")
    return tree.getroot()


def text_of(element: etree._Element | None) -> str:
    """All text inside ``element``, comments skipped (a comment must not cut a NameID short)."""
    if element is None:
        return ""
    return "".join(element.xpath("descendant::text()")).strip()


def instant(value: str | None, what: str) -> datetime | None:
    """An ``xs:dateTime`` attribute as an aware UTC datetime (``None`` when absent)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SamlRejected(SamlReason.MALFORMED, f"{what} is not a dateTime") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def saml_instant(when: datetime) -> str:
    """``when`` as SAML writes instants: UTC, ``Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
