"""The assertion consumer service: validating a SAML Response posted by the browser.

Library choice: ``signxml`` (with ``lxml``) rather than ``pysaml2`` or ``python3-saml``. signxml
does one thing — XML signature verification — with safe defaults (SHA-1 off, no KeyInfo trust
when a certificate is given, it returns the verified subtree rebuilt from the signed bytes) and
needs no ``xmlsec1`` binary or C binding. The SAML checks pysaml2 leaves to configuration
(``Recipient`` only with ``conv_info``, SHA-1 accepted by default) are written here explicitly,
each one tested. Order of work:

1. decode and parse without DTDs or entities; exactly one ``Assertion`` and it is a direct child
   of the ``Response`` (a second or moved assertion is a wrapping attempt);
2. verify the signature of the Response, else of the Assertion, against the configured
   certificates only, and from then on read **only** the verified element signxml returns;
3. check issuer, audience, recipient, destination, validity window (bounded skew),
   ``InResponseTo`` against this browser's outstanding request, status;
4. claim the assertion id in the replay cache until it expires; build the identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lxml import etree

from tenantry.adapters.sso.identity import AttributeMapping, SsoIdentity, identity_from
from tenantry.adapters.sso.replay import ReplayCache
from tenantry.adapters.sso.saml_config import MAX_CLOCK_SKEW, SamlIdp, SamlSp
from tenantry.adapters.sso.saml_signature import verify_enveloped
from tenantry.adapters.sso.saml_xml import (
    BEARER,
    EMAIL_FORMAT,
    NS,
    SAML,
    SAMLP,
    SUCCESS,
    decode_posted,
    instant,
    parse_untrusted,
    q,
    text_of,
)
from tenantry.domain.sso_errors import SamlReason, SamlRejected

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class _Window:
    """The checked validity of an assertion: when its id may be forgotten."""

    not_on_or_after: datetime


@dataclass
class SamlResponseValidator:
    """Validates Responses of one connection (``idp`` → ``sp``)."""

    idp: SamlIdp
    sp: SamlSp
    replay_cache: ReplayCache
    clock: Clock
    mapping: AttributeMapping = field(default_factory=AttributeMapping)
    skew: timedelta = MAX_CLOCK_SKEW

    def __post_init__(self) -> None:
        self.skew = min(self.skew, MAX_CLOCK_SKEW)

    def validate(
        self,
        saml_response: str,
        *,
        request_id: str | None,
        allow_idp_initiated: bool = False,
    ) -> SsoIdentity:
        """The identity in ``saml_response`` (the posted, base64 ``SAMLResponse`` value).

        ``request_id`` is the id of the AuthnRequest this browser started (``None`` when it
        started none); an IdP-initiated response (no ``InResponseTo``) is taken only when
        ``allow_idp_initiated``. Raises :class:`SamlRejected` naming the failed check.
        """
        now = self.clock()
        root = parse_untrusted(decode_posted(saml_response))
        if root.tag != q(SAMLP, "Response"):
            raise SamlRejected(SamlReason.MALFORMED, "not a samlp:Response")
        assertion = self._only_assertion(root)
        if root.find("ds:Signature", NS) is not None:
            response = verify_enveloped(root, root, self.idp.certificates, now=now)
            signed_assertion = response.find("saml:Assertion", NS)
            if signed_assertion is None:  # the signed bytes hold the one assertion checked above
                raise SamlRejected(SamlReason.MISSING_ASSERTION)
            self._check_destination(response, required=True)
        else:
            response = root  # unsigned: only its Destination and status are looked at
            signed_assertion = verify_enveloped(root, assertion, self.idp.certificates, now=now)
            self._check_destination(response, required=False)
        self._check_status(response)
        self._check_issuer(response, signed_assertion)
        window = self._check_conditions(signed_assertion, now)
        subject = signed_assertion.find("saml:Subject", NS)
        if subject is None:
            raise SamlRejected(SamlReason.MISSING_SUBJECT)
        window = self._check_confirmation(
            subject, response, request_id, allow_idp_initiated, now, window
        )
        identity = self._identity(signed_assertion, subject)
        self._claim_once(signed_assertion, window, now)
        return identity

    # --- structure -------------------------------------------------------------------------

    @staticmethod
    def _only_assertion(root: etree._Element) -> etree._Element:
        if root.find(f".//{q(SAML, 'EncryptedAssertion')}") is not None:
            raise SamlRejected(
                SamlReason.ENCRYPTED_ASSERTION, "encrypted assertions are not supported"
            )
        everywhere = list(root.iter(q(SAML, "Assertion")))
        if not everywhere:
            raise SamlRejected(SamlReason.MISSING_ASSERTION)
        if len(everywhere) > 1 or everywhere[0].getparent() is not root:
            raise SamlRejected(SamlReason.AMBIGUOUS_ASSERTION, "exactly one top-level assertion")
        return everywhere[0]

    def _check_destination(self, response: etree._Element, *, required: bool) -> None:
        destination = response.get("Destination")
        if destination is None and not required:
            return
        if destination != self.sp.acs_url:
            raise SamlRejected(SamlReason.WRONG_DESTINATION, f"Destination {destination!r}")

    @staticmethod
    def _check_status(response: etree._Element) -> None:
        code = response.find("samlp:Status/samlp:StatusCode", NS)
        value = None if code is None else code.get("Value")
        if value != SUCCESS:
            raise SamlRejected(SamlReason.IDP_ERROR, f"status {value}")

    def _check_issuer(self, response: etree._Element, assertion: etree._Element) -> None:
        issuer = text_of(assertion.find("saml:Issuer", NS))
        if issuer != self.idp.entity_id:
            raise SamlRejected(SamlReason.WRONG_ISSUER, f"assertion issuer {issuer!r}")
        outer = response.find("saml:Issuer", NS)
        if outer is not None and text_of(outer) != self.idp.entity_id:
            raise SamlRejected(SamlReason.WRONG_ISSUER, f"response issuer {text_of(outer)!r}")

    # --- time and audience ------------------------------------------------------------------

    def _check_window(self, element: etree._Element, now: datetime, what: str) -> datetime | None:
        not_before = instant(element.get("NotBefore"), f"{what} NotBefore")
        not_on_or_after = instant(element.get("NotOnOrAfter"), f"{what} NotOnOrAfter")
        if not_before is not None and now + self.skew < not_before:
            raise SamlRejected(
                SamlReason.NOT_YET_VALID, f"{what} NotBefore {not_before.isoformat()}"
            )
        if not_on_or_after is not None and now - self.skew >= not_on_or_after:
            raise SamlRejected(
                SamlReason.EXPIRED, f"{what} NotOnOrAfter {not_on_or_after.isoformat()}"
            )
        return not_on_or_after

    def _check_conditions(self, assertion: etree._Element, now: datetime) -> _Window:
        conditions = assertion.find("saml:Conditions", NS)
        if conditions is None:
            raise SamlRejected(SamlReason.WRONG_AUDIENCE, "no Conditions/AudienceRestriction")
        ends = self._check_window(conditions, now, "Conditions")
        restrictions = conditions.findall("saml:AudienceRestriction", NS)
        if not restrictions:
            raise SamlRejected(SamlReason.WRONG_AUDIENCE, "no AudienceRestriction")
        for restriction in restrictions:  # every restriction must name us (core 2.5.1.4)
            audiences = [text_of(a) for a in restriction.findall("saml:Audience", NS)]
            if self.sp.entity_id not in audiences:
                raise SamlRejected(SamlReason.WRONG_AUDIENCE, f"audiences {audiences}")
        return _Window(ends or now + self.skew)

    def _check_confirmation(
        self,
        subject: etree._Element,
        response: etree._Element,
        request_id: str | None,
        allow_idp_initiated: bool,
        now: datetime,
        window: _Window,
    ) -> _Window:
        refusal: SamlRejected | None = None
        for confirmation in subject.findall("saml:SubjectConfirmation", NS):
            if confirmation.get("Method") != BEARER:
                continue
            data = confirmation.find("saml:SubjectConfirmationData", NS)
            try:
                ends = self._check_bearer(data, now)
            except SamlRejected as error:
                refusal = refusal or error
                continue
            in_response_to = None if data is None else data.get("InResponseTo")
            self._check_in_response_to(in_response_to, response, request_id, allow_idp_initiated)
            return _Window(min(ends, window.not_on_or_after))
        raise refusal or SamlRejected(SamlReason.WRONG_RECIPIENT, "no bearer SubjectConfirmation")

    def _check_bearer(self, data: etree._Element | None, now: datetime) -> datetime:
        if data is None or data.get("Recipient") != self.sp.acs_url:
            recipient = None if data is None else data.get("Recipient")
            raise SamlRejected(SamlReason.WRONG_RECIPIENT, f"Recipient {recipient!r}")
        ends = self._check_window(data, now, "SubjectConfirmationData")
        if ends is None:
            raise SamlRejected(SamlReason.MALFORMED, "bearer confirmation without NotOnOrAfter")
        return ends

    @staticmethod
    def _check_in_response_to(
        in_response_to: str | None,
        response: etree._Element,
        request_id: str | None,
        allow_idp_initiated: bool,
    ) -> None:
        outer = response.get("InResponseTo")
        if request_id is not None:
            if in_response_to != request_id or outer not in (None, request_id):
                raise SamlRejected(
                    SamlReason.UNKNOWN_REQUEST, "InResponseTo is not this browser's request"
                )
            return
        if in_response_to is not None or outer is not None:
            raise SamlRejected(
                SamlReason.UNKNOWN_REQUEST, "no outstanding request for InResponseTo"
            )
        if not allow_idp_initiated:
            raise SamlRejected(SamlReason.UNSOLICITED, "IdP-initiated login is not allowed")

    # --- identity and replay ----------------------------------------------------------------

    def _identity(self, assertion: etree._Element, subject: etree._Element) -> SsoIdentity:
        name_id = subject.find("saml:NameID", NS)
        subject_value = text_of(name_id)
        if not subject_value or name_id is None:
            raise SamlRejected(SamlReason.MISSING_SUBJECT, "no NameID")
        attributes: dict[str, tuple[str, ...]] = {}
        for attribute in assertion.iterfind("saml:AttributeStatement/saml:Attribute", NS):
            name = attribute.get("Name")
            if name:
                values = tuple(text_of(v) for v in attribute.findall("saml:AttributeValue", NS))
                attributes[name] = attributes.get(name, ()) + values
        subject_format = name_id.get("Format")
        email = self.mapping.single(attributes, self.mapping.email)
        if email is None and subject_format == EMAIL_FORMAT:
            email = subject_value
        if email is None:
            raise SamlRejected(SamlReason.MISSING_ATTRIBUTE, "no e-mail attribute")
        statement = assertion.find("saml:AuthnStatement", NS)
        return identity_from(
            "saml",
            issuer=self.idp.entity_id,
            subject=subject_value,
            email=email,
            attributes=attributes,
            mapping=self.mapping,
            session_index=None if statement is None else statement.get("SessionIndex"),
            subject_format=subject_format,
        )

    def _claim_once(self, assertion: etree._Element, window: _Window, now: datetime) -> None:
        key = f"saml\n{self.idp.entity_id}\n{assertion.get('ID')}"
        if not self.replay_cache.claim(key, expires_at=window.not_on_or_after + self.skew, now=now):
            raise SamlRejected(
                SamlReason.REPLAYED, f"assertion {assertion.get('ID')} was used before"
            )
