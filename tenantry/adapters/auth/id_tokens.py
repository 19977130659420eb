"""The ID tokens of the hosted sign-in: RS256 JWTs signed with tenantry's own keys (the JWKS at
``/keys``), telling the application who signed in — ``sub`` (``usr_…``), ``email``, names,
``oid`` (the organization), ``conn`` (the connection) and ``roles`` — and
:func:`verify_id_token`, which checks one into a :class:`VerifiedIdentity`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import jwt

from tenantry.adapters.auth.keys import ALGORITHM, SigningKeys
from tenantry.domain.errors import Unauthenticated

ID_TOKEN_LIFETIME: Final = timedelta(minutes=5)
ID_TOKEN_TYPE: Final = "JWT"


@dataclass(frozen=True)
class VerifiedIdentity:
    """The person an ID token names, after its signature and claims were checked."""

    user_id: str
    email: str
    organization_id: str
    connection_id: str
    roles: tuple[str, ...]
    given_name: str | None = None
    family_name: str | None = None
    nonce: str | None = None


class IdTokens:
    """Issues and verifies ID tokens with ``keys`` as ``issuer`` (read at each use: the host's
    base URL may be configured after the server is built)."""

    def __init__(
        self, keys: SigningKeys, issuer: Callable[[], str], clock: Callable[[], datetime]
    ) -> None:
        self.keys = keys
        self._issuer = issuer
        self.clock = clock

    @property
    def issuer(self) -> str:
        return self._issuer()

    def issue(self, grant: dict[str, Any], audience: str, nonce: str | None) -> str:
        """An ID token of the signed-in user ``grant`` (:class:`SignedIn` as JSON) for the
        client ``audience``."""
        now = self.clock()
        name = " ".join(n for n in (grant.get("given_name"), grant.get("family_name")) if n)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience,
            "sub": grant["user_id"],
            "iat": int(now.timestamp()),
            "exp": int((now + ID_TOKEN_LIFETIME).timestamp()),
            "jti": secrets.token_hex(8),
            "email": grant["email"],
            "email_verified": True,
            "oid": grant["organization_id"],
            "conn": grant["connection_id"],
            "roles": list(grant["roles"]),
        }
        for field in ("given_name", "family_name"):
            if grant.get(field):
                claims[field] = grant[field]
        if name:
            claims["name"] = name
        if nonce:
            claims["nonce"] = nonce
        kid, key = self.keys.signing()
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"})

    def verify(self, token: str, audience: str) -> VerifiedIdentity:
        """The identity of ``token`` if tenantry signed it for ``audience`` and it is unexpired;
        :class:`Unauthenticated` otherwise."""
        try:
            kid = str(jwt.get_unverified_header(token).get("kid", ""))
            claims = jwt.decode(
                token,
                self.keys.public(kid),
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "oid", "conn", "email"]},
            )
        except (jwt.PyJWTError, LookupError):
            raise Unauthenticated("the ID token is not valid") from None
        return identity_of(claims)


def identity_of(claims: dict[str, Any]) -> VerifiedIdentity:
    """The identity of an ID token's checked claims."""
    return VerifiedIdentity(
        user_id=str(claims["sub"]),
        email=str(claims["email"]),
        organization_id=str(claims["oid"]),
        connection_id=str(claims["conn"]),
        roles=tuple(str(r) for r in claims.get("roles", [])),
        given_name=claims.get("given_name"),
        family_name=claims.get("family_name"),
        nonce=claims.get("nonce"),
    )
