"""What an API client may do: its scopes and the organizations it is restricted to.

A client is either **full-environment** (no scopes stored: it may do everything, the hosted
model and the default) or **scoped**: it holds some of :data:`SCOPES`, and optionally a list of
organizations outside which it sees nothing. Within a resource group, ``admin`` implies ``write``
implies ``read``. The table is the one place a scope is defined; the HTTP routes name the scope
they need (:mod:`tenantry.adapters.http.access`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from tenantry.domain import ids
from tenantry.domain.errors import InvalidField, PermissionDenied

SCOPES: Final[dict[str, str]] = {
    "organizations:read": "read organizations, their settings, policies and seat usage; "
    "list and search them",
    "organizations:write": "create organizations, change them and their settings",
    "organizations:admin": "delete organizations",
    "members:read": "read and list members and invitations",
    "members:write": "invite, add, change, suspend and remove members; resend invitations",
    "connections:read": "read SSO connections, their SAML metadata, and organization domains",
    "connections:write": "create, configure, enable, disable and delete SSO connections; add, "
    "verify and delete organization domains",
    "directories:read": "read SCIM directories (never their tokens), their users and groups",
    "directories:write": "create, update, enable, disable and delete SCIM directories; create "
    "and revoke their bearer tokens",
    "portal_links:read": "list an organization's live admin-portal links (never a secret)",
    "portal_links:write": "generate and revoke admin-portal links (a link lets its holder "
    "configure the organization's SSO, SCIM and domains)",
    "clients:admin": "manage API clients (reserved: clients are managed with the CLI today)",
    "roles:read": "read role definitions of the environment and of organizations",
    "roles:write": "define, change and delete roles; set the default role",
}
"""Every scope and what it grants (README "Security" shows this table)."""
LEVELS: Final = ("read", "write", "admin")
MAX_ORGANIZATIONS: Final = 100
"""The most organizations a scoped client may be restricted to."""


class ScopeMissing(PermissionDenied):
    """Raised when a client's token lacks the scope a route needs."""

    code = "permission_denied"

    def __init__(self, scope: str) -> None:
        super().__init__(f"this API client lacks the scope {scope!r}")
        self.scope = scope


def implied(scope: str) -> frozenset[str]:
    """``scope`` and every scope it implies (the lower levels of its group)."""
    group, _, level = scope.partition(":")
    lower = LEVELS[: LEVELS.index(level) + 1]
    return frozenset(f"{group}:{each}" for each in lower if f"{group}:{each}" in SCOPES)


def parse_scopes(given: Iterable[str]) -> frozenset[str]:
    """The scopes named (``a b`` or ``a,b`` items too), each known; refused with
    :class:`InvalidField` on ``scopes`` otherwise."""
    names = {name for item in given for name in item.replace(",", " ").split()}
    unknown = sorted(names - SCOPES.keys())
    if unknown:
        raise InvalidField(
            "scopes", f"unknown scope {unknown[0]!r}; known: {', '.join(sorted(SCOPES))}"
        )
    return frozenset(names)


def parse_organizations(given: Iterable[str]) -> frozenset[str]:
    """Organization ids (``org_…``), at most :data:`MAX_ORGANIZATIONS`."""
    names = {name for item in given for name in item.replace(",", " ").split()}
    for name in names:
        ids.decode(ids.ORG, name, "organizations")
    if len(names) > MAX_ORGANIZATIONS:
        raise InvalidField("organizations", f"must be at most {MAX_ORGANIZATIONS}")
    return frozenset(names)


@dataclass(frozen=True)
class Grant:
    """What a client may do: ``scopes`` ``None`` is every scope, ``organizations`` ``None``
    every organization (both ``None``: a full-environment client)."""

    scopes: frozenset[str] | None = None
    organizations: frozenset[str] | None = None

    @property
    def full_environment(self) -> bool:
        return self.scopes is None and self.organizations is None

    def allows(self, scope: str) -> bool:
        if self.scopes is None:
            return True
        return any(scope in implied(held) for held in self.scopes)

    def require(self, scope: str) -> None:
        """Raises :class:`ScopeMissing` unless the grant holds ``scope``."""
        if scope not in SCOPES:  # a route naming an undefined scope is a programming error
            raise LookupError(f"undefined scope {scope!r}")
        if not self.allows(scope):
            raise ScopeMissing(scope)

    def sees(self, organization_id: str) -> bool:
        return self.organizations is None or organization_id in self.organizations
