"""The token signing keys: RS256 key pairs kept in the database, so every worker shares them.

The newest key that is not retired signs; every key not retired verifies and is served in the
JWKS. ``rotate`` adds a new key (a new ``kid``): tokens signed by the old one stay valid until they
expire, and the old key is retired automatically by the first rotation after that (or by
``retire`` once its tokens can have expired). A retired key verifies nothing. Each worker re-reads
the keys at most every ``refresh`` (default 30 s), and at once (at most once a second) when a
token names a ``kid`` it does not know.

With ``audit``, each key's creation and retirement is recorded in the event store
(``SigningKey.Created`` / ``Retired``, with who did it; never key material), right after the change.

With ``TENANTRY_KEY_ENCRYPTION_KEY`` set, a new private key is stored encrypted with it
(PKCS #8, ``cryptography``'s best available encryption); a stored encrypted key needs it to load.
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tenantry.adapters.auth.tables import signing_keys
from tenantry.application.signing_keys import SigningKeyAudit
from tenantry.domain.errors import FailedPrecondition, NotFound, Unauthenticated

ALGORITHM: Final = "RS256"
ENCRYPTION_KEY_ENV: Final = "TENANTRY_KEY_ENCRYPTION_KEY"
KEY_REFRESH: Final = timedelta(seconds=30)
"""The longest a worker keeps using its copy of the keys (a rotation or retirement made by
another process reaches it within that)."""
_UNKNOWN_KID_REFRESH: Final = 1.0
_FIRST_KEY: Final = ("system:signing-keys", "no live signing key")
SUPERSEDED: Final = "superseded longer ago than the token lifetime"


class KeyNotFound(NotFound):
    """Raised when no signing key has the given ``kid``."""

    code = "key_not_found"

    def __init__(self, kid: str) -> None:
        super().__init__(f"signing key {kid!r} not found")
        self.kid = kid


class KeyInUse(FailedPrecondition):
    """Raised when retiring a key that signs, or whose tokens may not have expired yet."""

    code = "key_in_use"

    def __init__(self, kid: str, reason: str) -> None:
        super().__init__(f"signing key {kid!r} cannot be retired: {reason}")
        self.kid = kid
        self.reason = reason


class KeyLocked(FailedPrecondition):
    """Raised when a stored private key is encrypted and the encryption key is missing or wrong."""

    code = "key_locked"

    def __init__(self, kid: str) -> None:
        super().__init__(
            f"signing key {kid!r} is encrypted: set {ENCRYPTION_KEY_ENV} to the key it was "
            "stored with"
        )
        self.kid = kid


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    created_at: datetime
    retired_at: datetime | None
    signing: bool
    encrypted: bool


@dataclass(frozen=True)
class _Key:
    slot: int
    kid: str
    private: rsa.RSAPrivateKey | None  # None: retired (never loaded)
    created_at: datetime
    retired_at: datetime | None
    encrypted: bool


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _password() -> bytes | None:
    value = os.environ.get(ENCRYPTION_KEY_ENV, "")
    return value.encode() if value else None


def _load(kid: str, pem: str) -> rsa.RSAPrivateKey:
    encrypted = "ENCRYPTED" in pem.partition("\n")[0]
    password = _password() if encrypted else None
    if encrypted and password is None:
        raise KeyLocked(kid)
    try:
        loaded = serialization.load_pem_private_key(pem.encode(), password=password)
    except ValueError:  # a wrong password
        raise KeyLocked(kid) from None
    if not isinstance(loaded, rsa.RSAPrivateKey):  # pragma: no cover - we only store RSA
        raise TypeError("the stored signing key is not an RSA key")
    return loaded


def _new_pem() -> tuple[str, bool]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    password = _password()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()
    return pem, password is not None


class SigningKeys:
    """The signing keys in one database; ``token_ttl`` is how long a superseded key keeps
    verifying before it may be retired."""

    def __init__(
        self,
        engine: Engine,
        *,
        token_ttl: timedelta,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        refresh: timedelta = KEY_REFRESH,
        audit: SigningKeyAudit | None = None,
    ) -> None:
        self.engine = engine
        self.audit = audit
        self.token_ttl = token_ttl
        self.clock = clock
        self.monotonic = monotonic
        self.refresh = refresh.total_seconds()
        self._lock = threading.Lock()
        self._keys: list[_Key] | None = None
        self._read_at = 0.0

    # --- reading -------------------------------------------------------------------------------

    def _all(self, *, force: bool = False) -> list[_Key]:
        with self._lock:
            now = self.monotonic()
            if self._keys is None or force or now - self._read_at >= self.refresh:
                self._keys = self._read()
                if not any(k.retired_at is None for k in self._keys):
                    self._create(self._keys, *_FIRST_KEY)
                    self._keys = self._read()
                self._read_at = now
            return self._keys

    def _read(self) -> list[_Key]:
        """The stored keys; a private key this worker loaded before is not decrypted again."""
        with self.engine.connect() as conn:
            rows = conn.execute(signing_keys.select().order_by(signing_keys.c.slot)).all()
        loaded = {k.kid: k.private for k in self._keys or [] if k.private is not None}
        return [
            _Key(
                slot=r.slot,
                kid=r.kid,
                private=None
                if r.retired_at
                else loaded.get(r.kid) or _load(r.kid, r.private_key_pem),
                created_at=_utc(r.created_at),
                retired_at=_utc(r.retired_at) if r.retired_at else None,
                encrypted="ENCRYPTED" in r.private_key_pem.partition("\n")[0],
            )
            for r in rows
        ]

    def _create(self, known: list[_Key], actor: str, reason: str | None = None) -> None:
        pem, encrypted = _new_pem()
        slot = max((k.slot for k in known), default=0) + 1
        kid = secrets.token_hex(8)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    signing_keys.insert().values(
                        slot=slot, kid=kid, private_key_pem=pem, created_at=self.clock()
                    )
                )
        except IntegrityError:  # another process added its key first: use that one
            return
        if self.audit is not None:
            self.audit.record_signing_key_created(
                kid, encrypted=encrypted, actor=actor, reason=reason
            )

    def _live(self, keys: list[_Key]) -> list[_Key]:
        return [k for k in keys if k.retired_at is None and k.private is not None]

    def signing(self) -> tuple[str, rsa.RSAPrivateKey]:
        """The ``kid`` and private key that sign new tokens (the newest live key)."""
        newest = self._live(self._all())[-1]
        assert newest.private is not None
        return newest.kid, newest.private

    def public(self, kid: str) -> rsa.RSAPublicKey:
        """The public key of a live ``kid``; :class:`Unauthenticated` for an unknown or retired
        one."""
        for attempt in (False, True):
            for k in self._live(self._all(force=attempt)):
                if k.kid == kid and k.private is not None:
                    return k.private.public_key()
            if self.monotonic() - self._read_at < _UNKNOWN_KID_REFRESH:
                break
        raise Unauthenticated("the access token is not valid (unknown or retired key)")

    def live_kids(self) -> frozenset[str]:
        return frozenset(k.kid for k in self._live(self._all()))

    def fresh_live_kids(self) -> frozenset[str] | None:
        """The live kids as last read, if read within ``refresh`` — no I/O; else ``None``."""
        keys = self._keys
        if keys is None or self.monotonic() - self._read_at >= self.refresh:
            return None
        return frozenset(k.kid for k in self._live(keys))

    def jwks(self) -> dict[str, Any]:
        keys = []
        for k in self._live(self._all()):
            assert k.private is not None
            jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
                k.private.public_key(), as_dict=True
            )
            jwk.update({"kid": k.kid, "use": "sig", "alg": ALGORITHM})
            keys.append(jwk)
        return {"keys": keys}

    # --- managing ------------------------------------------------------------------------------

    def list(self) -> list[KeyInfo]:
        keys = self._all(force=True)
        signing = self._live(keys)[-1].kid
        return [
            KeyInfo(k.kid, k.created_at, k.retired_at, k.kid == signing, k.encrypted) for k in keys
        ]

    def rotate(self, *, actor: str = "system") -> KeyInfo:
        """A new signing key; keys superseded longer than ``token_ttl`` ago are retired
        (``actor``: who, for the records)."""
        before = self._all(force=True)
        self._create(before, actor)
        keys = self._all(force=True)
        now = self.clock()
        for older, newer in itertools.pairwise(keys):
            if older.retired_at is None and now - newer.created_at >= self.token_ttl:
                self._retire(older.kid, now, actor, forced=False, reason=SUPERSEDED)
        return self.list()[-1]

    def retire(self, kid: str, *, force: bool = False, actor: str = "system") -> KeyInfo:
        """Stops ``kid`` verifying. Refused for the signing key, and (unless ``force``) for a key
        superseded less than ``token_ttl`` ago: tokens it signed may still be valid."""
        keys = self._all(force=True)
        found = [i for i, k in enumerate(keys) if k.kid == kid]
        if not found:
            raise KeyNotFound(kid)
        index = found[0]
        if keys[index].retired_at is None:
            if keys[index].kid == self._live(keys)[-1].kid:
                raise KeyInUse(kid, "it signs new tokens; rotate first")
            since = self.clock() - keys[index + 1].created_at
            early = since < self.token_ttl
            if early and not force:
                left = int((self.token_ttl - since).total_seconds()) + 1
                raise KeyInUse(kid, f"tokens it signed may be valid for {left} s more")
            self._retire(kid, self.clock(), actor, forced=early)
        return next(k for k in self.list() if k.kid == kid)

    def _retire(
        self, kid: str, at: datetime, actor: str, *, forced: bool, reason: str | None = None
    ) -> None:
        with self.engine.begin() as conn:
            changed = conn.execute(
                signing_keys.update()
                .where(signing_keys.c.kid == kid, signing_keys.c.retired_at.is_(None))
                .values(retired_at=at)
            ).rowcount
        if changed and self.audit is not None:
            self.audit.record_signing_key_retired(kid, forced=forced, actor=actor, reason=reason)
        self._all(force=True)
