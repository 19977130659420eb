"""A :class:`~tenantry.adapters.sso.replay.ReplayCache` in a table, shared by every server process
on one database (``tenantry serve --workers N``): an assertion id used at one worker is refused
at every other.

Table ``sso_seen_ids``: the SHA-256 of each key (keys hold IdP entity ids and assertion ids of any
length) and when it may be forgotten. A claim is one ``INSERT``; the primary key decides a race
between two workers, so exactly one of them wins. Expired rows are deleted as claims come in.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

metadata = sa.MetaData()

seen_ids = sa.Table(
    "sso_seen_ids",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("expires_at", sa.DateTime(), nullable=False, index=True),  # UTC
)


def _utc(moment: datetime) -> datetime:
    # Stored without a zone, in UTC: SQLite keeps no zone, and one rule serves every backend.
    return moment.astimezone(UTC).replace(tzinfo=None)


class SqlReplayCache:
    """Remembers keys in ``sso_seen_ids`` of ``engine``'s database (created if missing)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        try:
            metadata.create_all(engine, checkfirst=True)
        except DBAPIError:  # another worker created it between the check and the create
            metadata.create_all(engine, checkfirst=True)

    def claim(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        digest = hashlib.sha256(key.encode()).hexdigest()
        with self._engine.begin() as conn:
            conn.execute(sa.delete(seen_ids).where(seen_ids.c.expires_at <= _utc(now)))
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    sa.insert(seen_ids).values(key_hash=digest, expires_at=_utc(expires_at))
                )
        except IntegrityError:
            return False
        return True

    def __len__(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(seen_ids)).scalar_one())
