"""``Idempotency-Key`` for POST, PUT and PATCH, stored per caller in the database.

The first request with a key reserves it; its response (any status below 500) is stored. A retry
with the same key and the same request gets that response again (header
``Idempotent-Replayed: true``) and changes nothing; the same key with another request is refused
(``422 idempotency_key_reused``); a retry while the first is still running gets
``409 idempotency_key_in_use``. Keys are kept for 24 hours.

A request that fails releases its key. One whose process dies between its write and storing its
response leaves the key reserved; after ``STALE_AFTER`` a retry runs it again only if nothing at
all was recorded in the log since the key was reserved (so the first attempt cannot have
committed); otherwise it is refused with ``409 idempotency_outcome_unknown`` rather than risk
making the change twice.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tenantry.adapters.http.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    IdempotencyOutcomeUnknown,
)
from tenantry.adapters.http.store import create_tables, engine_for, idempotency_keys
from tenantry.domain.errors import InvalidField

HEADER: Final = "Idempotency-Key"
KEY_MAX: Final = 255
RETENTION: Final = timedelta(hours=24)
STALE_AFTER: Final = timedelta(minutes=2)
"""A reservation older than this without a response belongs to a request that died."""


@dataclass(frozen=True)
class Reservation:
    scope: str
    key: str


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    media_type: str | None
    body: bytes


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """The same request gives the same fingerprint, however its JSON is spaced or ordered."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read: as sent
        canonical = body
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), canonical):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def check_key(key: str) -> str:
    if not 1 <= len(key) <= KEY_MAX or not key.isprintable():
        raise InvalidField(HEADER, f"must be 1-{KEY_MAX} printable characters")
    return key


def _in_use(key: str) -> IdempotencyKeyInUse:
    return IdempotencyKeyInUse(
        f"a request with {HEADER} {key!r} is still in progress; retry later", key=key
    )


class IdempotencyStore:
    """Reserved keys and their stored responses."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.engine = engine
        self.clock = clock
        create_tables(engine)

    @classmethod
    def in_memory(cls) -> IdempotencyStore:
        """A store private to this process (enough for one worker and for tests)."""
        return cls(engine_for("memory://"))

    def begin(
        self, scope: str, key: str, print_: str, position: int
    ) -> Reservation | StoredResponse:
        """Reserves ``key`` for this request, or returns the response stored for it.
        ``position`` is the log's head now (before the request runs)."""
        now = self.clock()
        t = idempotency_keys
        if random.random() < 0.01:
            with self.engine.begin() as conn:
                conn.execute(t.delete().where(t.c.created_at < now - RETENTION))
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    t.insert().values(
                        scope=scope, key=key, fingerprint=print_, position=position, created_at=now
                    )
                )
            return Reservation(scope, key)
        except IntegrityError:
            pass
        where = (t.c.scope == scope) & (t.c.key == key)
        with self.engine.begin() as conn:
            row = conn.execute(t.select().where(where)).first()
            if row is None:  # purged in between: try once more
                conn.execute(
                    t.insert().values(
                        scope=scope, key=key, fingerprint=print_, position=position, created_at=now
                    )
                )
                return Reservation(scope, key)
            if row.fingerprint != print_:
                raise IdempotencyKeyReused(
                    f"{HEADER} {key!r} was already used for a different request", key=key
                )
            if row.status_code is not None:
                return StoredResponse(row.status_code, row.media_type, bytes(row.body or b""))
            created = (
                row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
            )
            if now - created < STALE_AFTER:
                raise _in_use(key)
            if row.position != position:
                raise IdempotencyOutcomeUnknown(
                    f"the request that reserved {HEADER} {key!r} stopped before answering and "
                    "changes were recorded since; read the resource, then retry with a new key",
                    key=key,
                )
            taken = conn.execute(
                t.update()
                .where(where & (t.c.created_at == row.created_at) & t.c.status_code.is_(None))
                .values(created_at=now)
            )
            if taken.rowcount != 1:
                raise _in_use(key)
            return Reservation(scope, key)

    def complete(self, reservation: Reservation, response: StoredResponse) -> None:
        t = idempotency_keys
        with self.engine.begin() as conn:
            conn.execute(
                t.update()
                .where((t.c.scope == reservation.scope) & (t.c.key == reservation.key))
                .values(
                    status_code=response.status_code,
                    media_type=response.media_type,
                    body=response.body,
                )
            )

    def release(self, reservation: Reservation) -> None:
        """Forgets a reservation whose request failed, so a retry runs it again."""
        t = idempotency_keys
        with self.engine.begin() as conn:
            conn.execute(
                t.delete().where(
                    (t.c.scope == reservation.scope)
                    & (t.c.key == reservation.key)
                    & t.c.status_code.is_(None)
                )
            )
