"""A small OpenID Connect provider for the tests: a real Starlette app issuing RS256 ID tokens
from a JWKS, redeeming each code once and checking PKCE (S256). The relying party reaches it
through ``TestClient`` (an ``httpx.Client`` over the ASGI app)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

ISSUER = "https://idp.example.test"
CLIENT_ID = "tenantry-client"
CLIENT_SECRET = "s3cret-client-secret"
REDIRECT_URI = "https://sp.example.test/sso/oidc/conn_2/callback"


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Grant:
    """A code waiting to be redeemed."""

    nonce: str
    challenge: str | None
    redirect_uri: str


@dataclass
class FakeOidcProvider:
    """The provider's state; tests change ``keys``, ``claims`` or ``forge`` to attack the RP."""

    clock: Callable[[], datetime]
    keys: list[RSAKey] = field(default_factory=lambda: [new_key("key-1")])
    subject: str = "user-42"
    claims: dict[str, Any] = field(default_factory=dict)
    header: dict[str, Any] = field(default_factory=dict)
    signing_key: RSAKey | None = None
    forge: Callable[[dict[str, Any]], str] | None = None
    grants: dict[str, Grant] = field(default_factory=dict)
    jwks_fetches: int = 0
    discoveries: int = 0
    issuer: str = ISSUER

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, _: Request) -> Response:
        self.discoveries += 1
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def jwks(self, _: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse({"keys": [k.as_dict(private=False) for k in self.keys]})

    async def authorize(self, request: Request) -> Response:
        """Signs the user in at once (no login page) and redirects back with a code."""
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return JSONResponse({"error": "unauthorized_client"}, status_code=400)
        if q.get("code_challenge_method") not in (None, "S256"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(q.get("nonce", ""), q.get("code_challenge"), q["redirect_uri"])
        query = urlencode({"code": code, "state": q.get("state", "")})
        return RedirectResponse(f"{q['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        basic = request.headers.get("authorization", "")
        by_basic = (
            basic == "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        )
        by_post = (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)
        if by_basic == by_post:  # neither, or both at once (RFC 6749 2.3: one method only)
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.grants.pop(str(form.get("code", "")), None)  # a code is redeemed once
        if grant is None or form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier", ""))
        challenge = b64url(hashlib.sha256(verifier.encode()).digest())
        if grant.challenge and (not verifier or challenge != grant.challenge):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "id_token": self.id_token(grant.nonce),
            }
        )

    def id_token(self, nonce: str) -> str:
        now = int(self.clock().timestamp())
        claims = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + int(timedelta(minutes=5).total_seconds()),
            "nonce": nonce,
            "email": "ada@example.com",
            "email_verified": True,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "groups": ["Engineering"],
            **self.claims,
        }
        if self.forge is not None:
            return self.forge(claims)
        key = self.signing_key or self.keys[0]
        header = {"alg": "RS256", "kid": key.kid, **self.header}
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])


def unsigned_token(claims: dict[str, Any]) -> str:
    """An ``alg: none`` token, as an attacker writes one."""
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."
