"""API clients: OAuth 2.0 client credentials and the access tokens they are traded for.

A client is an id and a secret; only an scrypt hash of the secret is stored. ``POST /oauth/token``
trades them for a short-lived RS256 JWT (``typ`` ``at+jwt``, RFC 9068), whose public keys are
served as a JWKS at ``GET /keys`` (:mod:`tenantry.adapters.auth.keys`). The token carries the
client's grant (:mod:`tenantry.adapters.auth.scopes`): its scopes and organizations, if any.
A token is refused unless it has ``typ``, ``iat`` and ``exp``, a lifetime of at most the configured
``token_ttl`` (at most :data:`MAX_TOKEN_TTL`) and an ``iat`` not in the future.
Each token carries the client's ``secret_version``: rotating the secret (or deleting the client)
makes every token issued before it fail — at once in the process that rotated it, and within
``revocation_delay`` (default 1 s) in every other worker, which re-reads a client's secret version
at most that often (a database read per request otherwise). A verified token is remembered until
it expires, so its RS256 signature is checked once per worker, not on every request.
The signing keys are generated on first start and kept in the database, so workers share them.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import jwt
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tenantry.adapters.auth.keys import ALGORITHM, SigningKeys
from tenantry.adapters.auth.scopes import (
    SCOPES,
    Grant,
    implied,
    parse_organizations,
    parse_scopes,
)
from tenantry.adapters.auth.secret_hashes import DUMMY_HASH, matches, secret_hash
from tenantry.adapters.auth.tables import clients, create_tables
from tenantry.application.api_clients import ApiClientAudit
from tenantry.application.signing_keys import SigningKeyAudit
from tenantry.domain import text
from tenantry.domain.errors import InvalidField, NotFound, Unauthenticated

AUDIENCE: Final = "tenantry-api"
TOKEN_TYPE: Final = "at+jwt"
DEFAULT_TOKEN_TTL: Final = timedelta(minutes=15)
MAX_TOKEN_TTL: Final = timedelta(hours=24)
"""The longest ``token_ttl`` a server accepts."""
CLOCK_SKEW: Final = timedelta(seconds=60)
"""How far in the future a token's ``iat`` may be (another worker's clock)."""
_CLIENT_PREFIX: Final = "cli_"
_SECRET_PREFIX: Final = "sec_"
REVOCATION_DELAY: Final = timedelta(seconds=1)
"""The longest a worker keeps accepting tokens of a client rotated or deleted by another process."""
_TOKEN_CACHE_MAX: Final = 4096


class ClientNotFound(NotFound):
    """Raised when no API client has the given id."""

    code = "client_not_found"

    def __init__(self, client_id: str) -> None:
        super().__init__(f"API client {client_id!r} not found")
        self.client_id = client_id


@dataclass(frozen=True)
class ClientInfo:
    client_id: str
    name: str
    secret_version: int
    created_at: datetime
    rotated_at: datetime | None
    scopes: tuple[str, ...] | None = None
    """``None``: every scope (with ``organizations`` ``None`` too: full-environment)."""
    organizations: tuple[str, ...] | None = None


@dataclass(frozen=True)
class NewSecret:
    """What ``create`` and ``rotate`` return: the only time the secret is seen."""

    client_id: str
    name: str
    client_secret: str


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of an API route, and what its token grants (``None``: all)."""

    client_id: str
    scopes: frozenset[str] | None = None
    organizations: frozenset[str] | None = None

    @property
    def grant(self) -> Grant:
        return Grant(self.scopes, self.organizations)

    @property
    def actor(self) -> str:
        """What the events of its writes record as their actor: ``client:<client_id>``."""
        return actor_of_client(self.client_id)


def actor_of_client(client_id: str) -> str:
    """The actor an API client's writes record."""
    return f"client:{client_id}"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _words(value: str | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value.split())


def _joined(value: frozenset[str] | None) -> str | None:
    return None if value is None else " ".join(sorted(value))


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    version: int
    expires: int
    kid: str


class ClientAuth:
    """API clients, the signing key and the tokens, in one database."""

    def __init__(
        self,
        engine: Engine,
        *,
        token_ttl: timedelta = DEFAULT_TOKEN_TTL,
        issuer: str = "tenantry",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        revocation_delay: timedelta = REVOCATION_DELAY,
        monotonic: Callable[[], float] = time.monotonic,
        audit: ApiClientAudit | None = None,
    ) -> None:
        """``audit``: the application whose event store records each client's creation, secret
        rotation and deletion, with who did it (the server and the CLI always pass it)."""
        if not timedelta(0) < token_ttl <= MAX_TOKEN_TTL:
            raise InvalidField("token_ttl", f"must be positive and at most {MAX_TOKEN_TTL}")
        if revocation_delay < timedelta(0):
            raise InvalidField("revocation_delay", "must not be negative")
        self.engine = engine
        self.token_ttl = token_ttl
        self.issuer = issuer
        self.clock = clock
        self.revocation_delay = revocation_delay.total_seconds()
        self.monotonic = monotonic
        self.audit = audit
        self.keys = SigningKeys(
            engine,
            token_ttl=token_ttl,
            clock=clock,
            monotonic=monotonic,
            audit=audit if isinstance(audit, SigningKeyAudit) else None,
        )
        self._cache_lock = threading.Lock()
        self._tokens: dict[str, _Verified] = {}
        self._versions: dict[str, tuple[int | None, float]] = {}  # client -> (version, read at)
        create_tables(engine)

    # --- clients -------------------------------------------------------------------------------

    def create_client(
        self,
        name: str,
        *,
        scopes: Iterable[str] | None = None,
        organizations: Iterable[str] | None = None,
        actor: str = "system",
        on_behalf_of: str | None = None,
    ) -> NewSecret:
        """A new client: full-environment by default; with ``scopes`` it holds only those (see
        :data:`~tenantry.adapters.auth.scopes.SCOPES`), with ``organizations`` it sees only
        those. Its creation is recorded first (by ``actor``, for ``on_behalf_of``): a client
        never exists without its record."""
        name = text.name(name, "name").strip() if isinstance(name, str) else name  # text rule
        if not isinstance(name, str) or not 1 <= len(name) <= 200:
            raise InvalidField("name", "must be 1-200 characters")
        held = parse_scopes(scopes) if scopes is not None else None
        within = parse_organizations(organizations) if organizations is not None else None
        if held is not None and not held:
            raise InvalidField("scopes", "must name at least one scope")
        if within is not None and not within:
            raise InvalidField("organizations", "must name at least one organization")
        client_id = _CLIENT_PREFIX + secrets.token_hex(12)
        secret = _SECRET_PREFIX + secrets.token_urlsafe(32)
        if self.audit is not None:
            self.audit.record_api_client_created(
                client_id,
                name,
                scopes=sorted(held) if held is not None else ["*"],  # "*": every scope
                organizations=sorted(within) if within is not None else ["*"],
                actor=actor,
                on_behalf_of=on_behalf_of,
            )
        with self.engine.begin() as conn:
            conn.execute(
                clients.insert().values(
                    client_id=client_id,
                    name=name,
                    secret_hash=secret_hash(secret, secrets.token_bytes(16)),
                    secret_version=1,
                    created_at=self.clock(),
                    scopes=_joined(held),
                    organizations=_joined(within),
                )
            )
        return NewSecret(client_id=client_id, name=name, client_secret=secret)

    def list_clients(self) -> list[ClientInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(clients.select().order_by(clients.c.created_at)).all()
        return [
            ClientInfo(
                client_id=r.client_id,
                name=r.name,
                secret_version=r.secret_version,
                created_at=_utc(r.created_at),
                rotated_at=_utc(r.rotated_at) if r.rotated_at else None,
                scopes=None if r.scopes is None else tuple(sorted(r.scopes.split())),
                organizations=None
                if r.organizations is None
                else tuple(sorted(r.organizations.split())),
            )
            for r in rows
        ]

    def rotate_secret(
        self, client_id: str, *, actor: str = "system", on_behalf_of: str | None = None
    ) -> NewSecret:
        """A new secret; the old one and every token issued with it stop working. Recorded
        first, as :meth:`create_client`."""
        secret = _SECRET_PREFIX + secrets.token_urlsafe(32)
        if self.audit is not None:
            name, version = self._known(client_id)
            self.audit.record_api_client_secret_rotated(
                client_id, name, version + 1, actor=actor, on_behalf_of=on_behalf_of
            )
        with self.engine.begin() as conn:
            row = conn.execute(
                clients.update()
                .where(clients.c.client_id == client_id)
                .values(
                    secret_hash=secret_hash(secret, secrets.token_bytes(16)),
                    secret_version=clients.c.secret_version + 1,
                    rotated_at=self.clock(),
                )
                .returning(clients.c.name)
            ).first()
        self._versions.pop(client_id, None)
        if row is None:
            raise ClientNotFound(client_id)
        return NewSecret(client_id=client_id, name=row.name, client_secret=secret)

    def delete_client(
        self, client_id: str, *, actor: str = "system", on_behalf_of: str | None = None
    ) -> None:
        """Deletes the client; its tokens stop working. Recorded first, as
        :meth:`create_client`."""
        if self.audit is not None:
            name, _ = self._known(client_id)
            self.audit.record_api_client_deleted(
                client_id, name, actor=actor, on_behalf_of=on_behalf_of
            )
        with self.engine.begin() as conn:
            deleted = conn.execute(clients.delete().where(clients.c.client_id == client_id))
        self._versions.pop(client_id, None)
        if deleted.rowcount == 0:
            raise ClientNotFound(client_id)

    def _known(self, client_id: str) -> tuple[str, int]:
        """The client's name and secret version; :class:`ClientNotFound` if there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(clients.c.name, clients.c.secret_version).where(
                    clients.c.client_id == client_id
                )
            ).first()
        if row is None:
            raise ClientNotFound(client_id)
        return row.name, row.secret_version

    # --- tokens -----------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        return self.keys.jwks()

    def authenticate(self, client_id: str, client_secret: str) -> None:
        """Checks a client's credentials (for the authorization code grant):
        :class:`Unauthenticated` if they are wrong, as :meth:`issue_token`."""
        self._checked(client_id, client_secret)

    def issue_token(self, client_id: str, client_secret: str) -> tuple[str, int]:
        """Returns ``(access_token, expires_in seconds)``; :class:`Unauthenticated` if the
        credentials are wrong (the same answer, in the same time, for an unknown client)."""
        row = self._checked(client_id, client_secret)
        now = self.clock()
        kid, key = self.keys.signing()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": client_id,
            "sv": row.secret_version,
            "iat": int(now.timestamp()),
            "exp": int((now + self.token_ttl).timestamp()),
            "jti": secrets.token_hex(8),
        }
        # The hosted SDKs' required_scopes check reads a list: the held scopes with the ones they
        # imply (every scope for a client without a scope list), as this server's own check.
        held = SCOPES if row.scopes is None else row.scopes.split()
        claims["scopes"] = sorted(set().union(*(implied(s) for s in held)))
        if row.scopes is not None:
            claims["scope"] = row.scopes  # RFC 9068: space-separated
        if row.organizations is not None:
            claims["organizations"] = sorted(row.organizations.split())
        headers = {"kid": kid, "typ": TOKEN_TYPE}
        token = jwt.encode(claims, key, algorithm=ALGORITHM, headers=headers)
        return token, int(self.token_ttl.total_seconds())

    def _checked(self, client_id: str, client_secret: str) -> Any:
        """The client's row, if ``client_secret`` is its secret."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    clients.c.secret_hash,
                    clients.c.secret_version,
                    clients.c.scopes,
                    clients.c.organizations,
                ).where(clients.c.client_id == client_id)
            ).first()
        ok = matches(client_secret, row.secret_hash if row else DUMMY_HASH)
        if row is None or not ok:
            raise Unauthenticated("invalid client credentials")
        return row

    def cached(self, token: str) -> Principal | None:
        """The caller of ``token`` if this worker verified it before and checked its client's
        secret version within ``revocation_delay`` — no I/O, no signature check; else ``None``
        (then :meth:`verify` decides)."""
        hit = self._tokens.get(token)
        if hit is None:
            return None
        known = self._versions.get(hit.principal.client_id)
        kids = self.keys.fresh_live_kids()
        if (
            hit.expires <= self.clock().timestamp()
            or known is None
            or known[0] != hit.version
            or self.monotonic() - known[1] >= self.revocation_delay
            or kids is None
            or hit.kid not in kids
        ):
            return None
        return hit.principal

    def verify(self, token: str) -> Principal:
        """The caller of a valid, unexpired token whose client still has that secret and whose
        signing key is not retired."""
        hit = self._tokens.get(token) or self._decode(token)
        if hit.expires <= self.clock().timestamp():
            raise Unauthenticated("the access token has expired")
        if hit.kid not in self.keys.live_kids():
            raise Unauthenticated("the access token is not valid (unknown or retired key)")
        if self._secret_version(hit.principal.client_id) != hit.version:
            raise Unauthenticated("the access token was revoked (client deleted or rotated)")
        return hit.principal

    def _decode(self, token: str) -> _Verified:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ") != TOKEN_TYPE:
                raise Unauthenticated(f"the access token is not valid (typ must be {TOKEN_TYPE})")
            kid = str(header.get("kid", ""))
            claims = jwt.decode(
                token,
                self.keys.public(kid),
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self.issuer,
                # times are checked against this server's clock, in _principal and verify
                options={
                    "require": ["exp", "iat", "sub", "sv"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError:
            raise Unauthenticated("the access token is not valid") from None
        verified = _Verified(self._principal(claims), int(claims["sv"]), int(claims["exp"]), kid)
        with self._cache_lock:
            if len(self._tokens) >= _TOKEN_CACHE_MAX:
                now = self.clock().timestamp()
                self._tokens = {t: v for t, v in self._tokens.items() if v.expires > now}
                if len(self._tokens) >= _TOKEN_CACHE_MAX:
                    self._tokens = {}
            self._tokens[token] = verified
        return verified

    def _principal(self, claims: dict[str, Any]) -> Principal:
        """The caller a signed token names, if its lifetime is within bounds."""
        issued, expires, version = claims["iat"], claims["exp"], claims["sv"]
        if not all(type(v) is int for v in (issued, expires, version)):
            raise Unauthenticated("the access token is not valid (iat, exp and sv are integers)")
        now = self.clock().timestamp()
        if expires <= now:
            raise Unauthenticated("the access token has expired")
        if issued > now + CLOCK_SKEW.total_seconds():
            raise Unauthenticated("the access token is not valid (issued in the future)")
        if expires - issued > self.token_ttl.total_seconds():
            raise Unauthenticated("the access token is not valid (lifetime too long)")
        scope, organizations = claims.get("scope"), claims.get("organizations")
        if scope is not None and not isinstance(scope, str):
            raise Unauthenticated("the access token is not valid (scope)")
        if organizations is not None and not isinstance(organizations, list):
            raise Unauthenticated("the access token is not valid (organizations)")
        return Principal(
            client_id=str(claims["sub"]),
            scopes=_words(scope),
            organizations=None if organizations is None else frozenset(map(str, organizations)),
        )

    def _secret_version(self, client_id: str) -> int | None:
        """The client's secret version (``None``: no such client), read at most once per
        ``revocation_delay``."""
        started = self.monotonic()
        known = self._versions.get(client_id)
        if known is not None and started - known[1] < self.revocation_delay:
            return known[0]
        with self.engine.connect() as conn:
            version: int | None = conn.execute(
                sa.select(clients.c.secret_version).where(clients.c.client_id == client_id)
            ).scalar()
        self._versions[client_id] = (version, started)
        return version
