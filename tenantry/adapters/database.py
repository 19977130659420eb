"""The composition root: one setting, the database URL, builds the whole application.

========================================  ===============================================
URL                                       store
========================================  ===============================================
``sqlite:///tenantry.db`` (default)       embedded SQLite file (WAL, ``synchronous=FULL``)
``sqlite:///path.db?synchronous=NORMAL``  faster commits; may lose the last ones on power loss
``postgresql+psycopg://u:p@host/db``      PostgreSQL (``?schema=name`` to use a schema)
``memory://``                             in memory, for tests and experiments
========================================  ===============================================
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

from tenantry.adapters.sqlite_store import SYNCHRONOUS, SYNCHRONOUS_MODES
from tenantry.application.app import DEFAULT_INVITATION_LIFETIME, Tenantry, utc_now
from tenantry.domain import ids
from tenantry.domain.errors import InvalidField

DEFAULT_DATABASE_URL: Final = "sqlite:///tenantry.db"
DATABASE_URL_ENV: Final = "TENANTRY_DATABASE_URL"


def persistence_env(database_url: str) -> dict[str, str]:
    """Translates a database URL into eventsourcing's persistence settings."""
    parts = urlsplit(database_url)
    scheme = parts.scheme.split("+")[0].lower()
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute.db, as in SQLAlchemy.
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise InvalidField("database_url", "sqlite URLs look like sqlite:///path/to/file.db")
        mode = query.get("synchronous", "FULL").upper()
        if mode not in SYNCHRONOUS_MODES:
            raise InvalidField(
                "database_url", f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}"
            )
        if path != ":memory:":
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(directory):
                raise InvalidField("database_url", f"directory {directory} does not exist")
        return {
            "PERSISTENCE_MODULE": "tenantry.adapters.sqlite_store:TenantrySQLiteFactory",
            "SQLITE_DBNAME": "file:tenantry-memory?mode=memory&cache=shared"
            if path == ":memory:"
            else path,
            "SQLITE_LOCK_TIMEOUT": query.get("timeout", "30"),
            SYNCHRONOUS: mode,
        }
    if scheme in ("postgresql", "postgres"):
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "localhost",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": query.get("pool_size", "10"),
            "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", "10"),
            "POSTGRES_LOCK_TIMEOUT": query.get("lock_timeout", "10"),
        }
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"]
        return env
    raise InvalidField(
        "database_url", "must start with sqlite:///, postgresql+psycopg:// or memory://"
    )


def connect(
    database_url: str | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    id_factory: Callable[[], UUID] = ids.new_id,
    invitation_lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
) -> Tenantry:
    """Builds tenantry on ``database_url`` (default: ``$TENANTRY_DATABASE_URL``, else the
    embedded SQLite file ``tenantry.db``). Tables are created if missing."""
    url = database_url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL
    env = persistence_env(url)
    with schema_setup_lock(env):
        return Tenantry(
            env,
            clock=clock,
            id_factory=id_factory,
            invitation_lifetime=invitation_lifetime,
        )


# Any fixed 64-bit number: the advisory lock that serializes schema setup on one PostgreSQL server.
_SETUP_LOCK_KEY: Final = 0x7E4A_4E72_7953_6574


@contextmanager
def schema_setup_lock(env: Mapping[str, str]) -> Iterator[None]:
    """Serializes table creation across processes starting at once on one PostgreSQL database.

    eventsourcing's setup runs ``CREATE TABLE IF NOT EXISTS`` and ``CREATE OR REPLACE FUNCTION``
    on every start; run concurrently (several web workers booting together) PostgreSQL refuses
    some of them ("tuple concurrently updated"). SQLite and memory need no lock.
    """
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
        yield
        return
    import psycopg

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK_KEY,))


def one_connection_engine(url: str = "sqlite://", **connect_args: object) -> sa.Engine:
    """An engine over a single SQLite connection (an in-memory database lives in its connection)
    that the threads of the process take in turn: a pool of exactly one, so one thread's
    transaction never interleaves with another's on it — a thread waits for the connection
    (at most a minute) instead. Nothing in tenantry holds two connections of one engine at once,
    which would wait for itself."""
    return sa.create_engine(
        url,
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
        connect_args={"check_same_thread": False, **connect_args},
    )
