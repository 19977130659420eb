"""Errors of single sign-on: a refused SAML response or OIDC sign-in, an unreachable provider.

Each refusal carries a stable machine ``reason`` (a value of :class:`SamlReason` or
:class:`OidcReason`), so that a connection's "test" can record the exact cause and an error page
can name it. Messages never carry a secret, a token or an assertion.
"""

from __future__ import annotations

from enum import StrEnum

from tenantry.domain.errors import FailedPrecondition, Unauthenticated

__all__ = [
    "IdentityProviderUnavailable",
    "OidcReason",
    "OidcRejected",
    "SamlReason",
    "SamlRejected",
    "SignInRejected",
]


class SamlReason(StrEnum):
    """Why a SAML response was refused."""

    MALFORMED = "malformed"
    FORBIDDEN_DTD = "forbidden_dtd"
    IDP_ERROR = "idp_error"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    WEAK_ALGORITHM = "weak_algorithm"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    CERTIFICATE_EXPIRED = "certificate_expired"
    AMBIGUOUS_ASSERTION = "ambiguous_assertion"
    MISSING_ASSERTION = "missing_assertion"
    ENCRYPTED_ASSERTION = "encrypted_assertion"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_RECIPIENT = "wrong_recipient"
    WRONG_DESTINATION = "wrong_destination"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    UNKNOWN_REQUEST = "unknown_request"
    UNSOLICITED = "unsolicited"
    REPLAYED = "replayed"
    MISSING_SUBJECT = "missing_subject"
    MISSING_ATTRIBUTE = "missing_attribute"


class OidcReason(StrEnum):
    """Why an OpenID Connect sign-in was refused."""

    STATE_MISMATCH = "state_mismatch"
    PROVIDER_ERROR = "provider_error"
    TOKEN_ERROR = "token_error"
    MALFORMED = "malformed"
    UNSIGNED = "unsigned"
    WEAK_ALGORITHM = "weak_algorithm"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NONCE_MISMATCH = "nonce_mismatch"
    MISSING_SUBJECT = "missing_subject"
    MISSING_ATTRIBUTE = "missing_attribute"


class SignInRejected(Unauthenticated):
    """Raised when a single sign-on response fails a check; never raised directly."""

    protocol: str = ""

    def __init__(self, reason: SamlReason | OidcReason, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{self.protocol} sign-in refused: {reason.value}{suffix}")
        self.reason = reason.value
        self.detail = detail


class SamlRejected(SignInRejected):
    """Raised when a SAML response fails a check; ``reason`` (a :class:`SamlReason`) names it."""

    code = "saml_rejected"
    protocol = "SAML"


class OidcRejected(SignInRejected):
    """Raised when an OpenID Connect sign-in fails a check; ``reason`` (an :class:`OidcReason`)
    names it."""

    code = "oidc_rejected"
    protocol = "OIDC"


class IdentityProviderUnavailable(FailedPrecondition):
    """Raised when an identity provider's endpoint cannot be reached or answers garbage."""

    code = "identity_provider_unavailable"

    def __init__(self, endpoint: str, problem: str) -> None:
        super().__init__(f"identity provider endpoint {endpoint} unavailable: {problem}")
        self.endpoint = endpoint
        self.problem = problem
