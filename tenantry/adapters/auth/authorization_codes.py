"""One-time authorization codes of the hosted sign-in (``/oauth/authorize`` → the application's
``redirect_uri`` → ``POST /oauth/token``).

A code is 32 random bytes; only its SHA-256 is stored (table ``oauth_authorization_codes``), with
the client and ``redirect_uri`` it was issued for, the signed-in user (no secret: ids, e-mail,
names, roles) and a short expiry. Redeeming marks it used in the same ``UPDATE`` that checks it is
unused and unexpired, so of two concurrent redemptions exactly one wins, on every worker.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tenantry.adapters.database import create_all
from tenantry.domain.sign_in_errors import AuthorizationCodeRejected

CODE_LIFETIME: Final = timedelta(seconds=60)

metadata = sa.MetaData()

codes = sa.Table(
    "oauth_authorization_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(200), nullable=True),  # NULL: never redeemable
    sa.Column("redirect_uri", sa.String(1024), nullable=False),
    sa.Column("grant", sa.Text, nullable=False),  # JSON of the signed-in user
    sa.Column("expires_at", sa.DateTime(), nullable=False, index=True),  # UTC
    sa.Column("used", sa.Boolean, nullable=False),
)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Redeemed:
    """What a code was issued for: the client and the grant."""

    client_id: str
    grant: dict[str, Any]


class AuthorizationCodes:
    """Codes in ``engine``'s database (the table is created if missing)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock
        create_all(metadata, engine)

    def issue(self, client_id: str, redirect_uri: str, grant: dict[str, Any]) -> str:
        """A new code for ``client_id`` to redeem with ``redirect_uri`` within a minute."""
        code = secrets.token_urlsafe(32)
        now = self._clock()
        with self._engine.begin() as conn:
            conn.execute(sa.delete(codes).where(codes.c.expires_at <= _utc(now)))
            conn.execute(
                sa.insert(codes).values(
                    code_hash=_hash(code),
                    client_id=client_id,
                    redirect_uri=redirect_uri,
                    grant=json.dumps(grant),
                    expires_at=_utc(now + CODE_LIFETIME),
                    used=False,
                )
            )
        return code

    def redeem(self, code: str, client_id: str, redirect_uri: str) -> Redeemed:
        """The grant of ``code``, used up; :class:`AuthorizationCodeRejected` if it is unknown,
        used, expired, or was issued to another client or ``redirect_uri``."""
        digest = _hash(code)
        with self._engine.begin() as conn:
            taken = conn.execute(
                sa.update(codes)
                .where(
                    codes.c.code_hash == digest,
                    codes.c.used.is_(False),
                    codes.c.expires_at > _utc(self._clock()),
                )
                .values(used=True)
            )
            row = conn.execute(sa.select(codes).where(codes.c.code_hash == digest)).first()
        if taken.rowcount != 1 or row is None:
            raise AuthorizationCodeRejected()
        if not hmac.compare_digest(row.redirect_uri, redirect_uri):
            raise AuthorizationCodeRejected()
        if row.client_id is None or not hmac.compare_digest(row.client_id, client_id):
            raise AuthorizationCodeRejected()
        return Redeemed(row.client_id, json.loads(row.grant))
