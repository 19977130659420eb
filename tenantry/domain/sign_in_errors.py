"""Errors of signing in through an SSO connection (re-exported by :mod:`tenantry.errors`): a
connection that does not sign anyone in now, a person the organization refuses, an application
asking to be sent back to an address it did not register, an authorization code that is no
good."""

from __future__ import annotations

from tenantry.domain.errors import FailedPrecondition, InvalidField, Unauthenticated

__all__ = [
    "AuthorizationCodeRejected",
    "ConnectionNotActive",
    "RedirectUriNotAllowed",
    "SsoSignInRefused",
]


class ConnectionNotActive(FailedPrecondition):
    """Raised when signing in through a connection that is disabled, deleted, or whose
    organization has the ``sso`` feature off."""

    code = "connection_not_active"

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"connection {connection_id!r} does not sign anyone in now")
        self.connection_id = connection_id


class SsoSignInRefused(FailedPrecondition):
    """Raised when the identity provider vouched for someone the organization does not let in
    (``refusal``: ``seat_limit_reached``, ``member_inactive``, ``undefined_role``)."""

    code = "sso_sign_in_refused"

    def __init__(self, connection_id: str, refusal: str, detail: str) -> None:
        super().__init__(f"sign-in through {connection_id!r} refused: {refusal} ({detail})")
        self.connection_id = connection_id
        self.refusal = refusal
        self.detail = detail


class RedirectUriNotAllowed(InvalidField):
    """Raised when an application asks to be sent back to a ``redirect_uri`` not on the
    host's allow-list (``TENANTRY_SSO_REDIRECT_URIS``)."""

    code = "redirect_uri_not_allowed"

    def __init__(self, redirect_uri: str) -> None:
        super().__init__("redirect_uri", f"{redirect_uri!r} is not an allowed redirect URI")
        self.redirect_uri = redirect_uri


class AuthorizationCodeRejected(Unauthenticated):
    """Raised when an authorization code is unknown, used, expired, or was issued to another
    client or ``redirect_uri`` (one answer for all, as RFC 6749 ``invalid_grant``)."""

    code = "invalid_grant"

    def __init__(self) -> None:
        super().__init__("the authorization code is invalid, expired or used")
