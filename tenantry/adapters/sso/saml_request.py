"""SP-initiated SAML login: the AuthnRequest, sent with the HTTP-Redirect binding.

The request is deflated, base64-encoded and put in the IdP's SSO URL as ``SAMLRequest`` with the
``RelayState``. Its id must be remembered for this browser (a signed cookie, a server session)
and handed back to :class:`~tenantry.adapters.sso.saml_response.SamlResponseValidator` so the
response's ``InResponseTo`` can be matched. The request is not signed: the IdP learns nothing
from it that it may trust anyway, and the response is what is verified.
"""

from __future__ import annotations

import base64
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from lxml import etree

from tenantry.adapters.sso.saml_config import SamlIdp, SamlSp
from tenantry.adapters.sso.saml_xml import NS, POST_BINDING, SAML, SAMLP, q, saml_instant
from tenantry.domain.errors import InvalidField

#: SAML bindings 3.4.3: RelayState "MUST NOT exceed 80 bytes".
MAX_RELAY_STATE_BYTES = 80
UNSPECIFIED_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


@dataclass(frozen=True)
class SamlLoginRequest:
    """A started login: where to send the browser, and what to remember for the response."""

    request_id: str
    redirect_url: str
    relay_state: str
    issued_at: datetime


def new_request_id() -> str:
    """A fresh, unguessable request id (an ``xs:ID``: it must not start with a digit)."""
    return "_" + secrets.token_hex(20)


def authn_request_xml(idp: SamlIdp, sp: SamlSp, *, request_id: str, now: datetime) -> bytes:
    """The ``samlp:AuthnRequest`` asking ``idp`` to sign the user in to ``sp``."""
    request = etree.Element(
        q(SAMLP, "AuthnRequest"),
        nsmap={"samlp": NS["samlp"], "saml": NS["saml"]},
        attrib={
            "ID": request_id,
            "Version": "2.0",
            "IssueInstant": saml_instant(now),
            "Destination": idp.sso_url,
            "AssertionConsumerServiceURL": sp.acs_url,
            "ProtocolBinding": POST_BINDING,
        },
    )
    etree.SubElement(request, q(SAML, "Issuer")).text = sp.entity_id
    etree.SubElement(
        request,
        q(SAMLP, "NameIDPolicy"),
        attrib={"Format": UNSPECIFIED_FORMAT, "AllowCreate": "true"},
    )
    return bytes(etree.tostring(request, encoding="utf-8", xml_declaration=False))


def redirect_encode(xml: bytes) -> str:
    """The HTTP-Redirect encoding: raw DEFLATE, then base64."""
    compressor = zlib.compressobj(wbits=-15)
    return base64.b64encode(compressor.compress(xml) + compressor.flush()).decode("ascii")


def start_login(
    idp: SamlIdp,
    sp: SamlSp,
    *,
    now: datetime,
    relay_state: str = "",
    request_id: str | None = None,
) -> SamlLoginRequest:
    """An AuthnRequest for ``idp`` and the redirect URL that carries it."""
    if len(relay_state.encode()) > MAX_RELAY_STATE_BYTES:
        raise InvalidField("relay_state", f"must be at most {MAX_RELAY_STATE_BYTES} bytes")
    request_id = request_id or new_request_id()
    params = {
        "SAMLRequest": redirect_encode(authn_request_xml(idp, sp, request_id=request_id, now=now))
    }
    if relay_state:
        params["RelayState"] = relay_state
    separator = "&" if "?" in idp.sso_url else "?"
    return SamlLoginRequest(
        request_id=request_id,
        redirect_url=f"{idp.sso_url}{separator}{urlencode(params)}",
        relay_state=relay_state,
        issued_at=now,
    )
