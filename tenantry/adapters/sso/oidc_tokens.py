"""Validating an OpenID Connect ID token (OpenID Connect Core 3.1.3.7).

The signature is checked with ``joserfc`` and a key from the provider's JWKS only; the header's
``alg`` must be an asymmetric algorithm, so ``alg: none`` and HS256 "signed" with the provider's
public key are refused before any key is used. The claims are then checked one by one, each with
its own reason.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError

from tenantry.adapters.sso.oidc_provider import JwksCache
from tenantry.domain.sso_errors import OidcReason, OidcRejected

#: Asymmetric JWS algorithms an ID token may use.
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)


@dataclass(frozen=True)
class IdTokenExpectations:
    """What the ID token must say: who issued it, for whom, with which nonce."""

    issuer: str
    client_id: str
    nonce: str
    skew: timedelta


def _instant(claims: dict[str, Any], name: str, *, required: bool) -> datetime | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OidcRejected(OidcReason.MALFORMED, f"{name} must be a number")
    return datetime.fromtimestamp(value, UTC)


def _check_signature(token: str, keys: JwksCache) -> dict[str, Any]:
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError):
        raise OidcRejected(OidcReason.MALFORMED, "the ID token is not a compact JWS") from None
    alg = header.get("alg")
    if alg is None or str(alg).lower() == "none":
        raise OidcRejected(OidcReason.UNSIGNED, "alg none")
    if alg not in SIGNING_ALGORITHMS:
        raise OidcRejected(OidcReason.WEAK_ALGORITHM, f"alg {alg}")
    kid = header.get("kid")
    key = keys.key_for(kid if isinstance(kid, str) else None)
    try:
        claims = jwt.decode(token, key, algorithms=[alg]).claims
    except BadSignatureError:
        raise OidcRejected(OidcReason.BAD_SIGNATURE, f"kid {kid!r}") from None
    except JoseError as error:  # e.g. a key of another type than alg needs
        raise OidcRejected(OidcReason.BAD_SIGNATURE, type(error).__name__) from None
    return claims


def _check_audience(claims: dict[str, Any], client_id: str) -> None:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client_id not in audiences:
        raise OidcRejected(OidcReason.WRONG_AUDIENCE, f"aud {aud!r}")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise OidcRejected(OidcReason.WRONG_AUDIENCE, f"azp {azp!r}")


def validate_id_token(
    token: str, keys: JwksCache, expected: IdTokenExpectations, *, now: datetime
) -> dict[str, Any]:
    """The claims of ``token`` once signature, issuer, audience, times and nonce hold."""
    claims = _check_signature(token, keys)
    if claims.get("iss") != expected.issuer:
        raise OidcRejected(OidcReason.WRONG_ISSUER, f"iss {claims.get('iss')!r}")
    _check_audience(claims, expected.client_id)
    expires = _instant(claims, "exp", required=True)
    if expires is not None and now - expected.skew >= expires:
        raise OidcRejected(OidcReason.EXPIRED, f"exp {expires.isoformat()}")
    for name in ("iat", "nbf"):
        moment = _instant(claims, name, required=name == "iat")
        if moment is not None and moment > now + expected.skew:
            raise OidcRejected(OidcReason.NOT_YET_VALID, f"{name} {moment.isoformat()}")
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce, expected.nonce):
        raise OidcRejected(OidcReason.NONCE_MISMATCH)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise OidcRejected(OidcReason.MISSING_SUBJECT)
    return claims
