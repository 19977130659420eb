"""The verified identity a sign-in yields, and the mapping from IdP attributes to its fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Protocol = Literal["saml", "oidc"]

_EMAIL = (
    "email",
    "mail",
    "emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
)
_GIVEN = (
    "given_name",
    "givenname",
    "firstname",
    "first_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",
)
_FAMILY = (
    "family_name",
    "surname",
    "sn",
    "lastname",
    "last_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",
)
_GROUPS = (
    "groups",
    "group",
    "memberof",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
)


@dataclass(frozen=True)
class AttributeMapping:
    """Which attribute (SAML) or claim (OIDC) names feed each profile field.

    Names are matched case-insensitively, the first present name wins. The defaults cover the
    names Okta, Entra ID, Google, OneLogin and JumpCloud send out of the box; a connection's
    configured mapping puts its own names first.
    """

    email: tuple[str, ...] = _EMAIL
    given_name: tuple[str, ...] = _GIVEN
    family_name: tuple[str, ...] = _FAMILY
    groups: tuple[str, ...] = _GROUPS

    @classmethod
    def configured(
        cls,
        *,
        email: str | None = None,
        given_name: str | None = None,
        family_name: str | None = None,
        groups: str | None = None,
    ) -> AttributeMapping:
        """The defaults with a connection's own names tried first."""

        def first(name: str | None, defaults: tuple[str, ...]) -> tuple[str, ...]:
            return defaults if not name else (name, *defaults)

        return cls(
            email=first(email, _EMAIL),
            given_name=first(given_name, _GIVEN),
            family_name=first(family_name, _FAMILY),
            groups=first(groups, _GROUPS),
        )

    @staticmethod
    def values(
        attributes: Mapping[str, tuple[str, ...]], names: tuple[str, ...]
    ) -> tuple[str, ...]:
        """The values of the first of ``names`` present in ``attributes`` (case-insensitive)."""
        folded = {k.casefold(): v for k, v in attributes.items()}
        for name in names:
            found = folded.get(name.casefold())
            if found:
                return found
        return ()

    def single(
        self, attributes: Mapping[str, tuple[str, ...]], names: tuple[str, ...]
    ) -> str | None:
        found = self.values(attributes, names)
        return found[0].strip() or None if found else None


@dataclass(frozen=True)
class SsoIdentity:
    """Who the identity provider says signed in, after every check passed.

    ``subject`` is the SAML NameID or the OIDC ``sub``: stable per ``issuer``, the key to find
    the user again. ``attributes`` holds everything the provider sent, as lists of strings.
    """

    protocol: Protocol
    issuer: str
    subject: str
    email: str
    given_name: str | None = None
    family_name: str | None = None
    groups: tuple[str, ...] = ()
    session_index: str | None = None
    subject_format: str | None = None
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


def identity_from(
    protocol: Protocol,
    *,
    issuer: str,
    subject: str,
    email: str,
    attributes: Mapping[str, tuple[str, ...]],
    mapping: AttributeMapping,
    session_index: str | None = None,
    subject_format: str | None = None,
) -> SsoIdentity:
    """Builds the identity from the checked subject, e-mail and raw attributes."""
    return SsoIdentity(
        protocol=protocol,
        issuer=issuer,
        subject=subject,
        email=email,
        given_name=mapping.single(attributes, mapping.given_name),
        family_name=mapping.single(attributes, mapping.family_name),
        groups=tuple(g for g in mapping.values(attributes, mapping.groups) if g),
        session_index=session_index,
        subject_format=subject_format,
        attributes=MappingProxyType(dict(attributes)),
    )
