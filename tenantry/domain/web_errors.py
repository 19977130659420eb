"""The refusals of the web pages that are not a link's or a session's own (those live with the
links): no session at all, a feature outside the session's scope, a form without its CSRF token."""

from __future__ import annotations

from tenantry.domain.errors import PermissionDenied, Unauthenticated

__all__ = ["FeatureNotInScope", "FormTokenInvalid", "SessionMissing"]


class FeatureNotInScope(PermissionDenied):
    """Raised when a portal session opens a page of a feature its link does not grant."""

    code = "feature_not_in_scope"

    def __init__(self, feature: str) -> None:
        super().__init__(
            f"this session does not include the {feature!r} feature; ask for a link that does"
        )
        self.feature = feature


class FormTokenInvalid(PermissionDenied):
    """Raised when a form arrives without the session's CSRF token (``csrf_token``), e.g. posted
    from another site."""

    code = "form_token_invalid"

    def __init__(self) -> None:
        super().__init__(
            "csrf_token: the form's token is missing or not this session's; reload the page"
        )


class SessionMissing(Unauthenticated):
    """Raised when a page needs a portal or dashboard session and the browser brings none."""

    code = "session_missing"

    def __init__(self, kind: str) -> None:
        super().__init__(f"no {kind} session: open a new {kind} link")
        self.session_kind = kind
