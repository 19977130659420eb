"""The composition root: one setting, the database URL, builds the whole application.

========================================  ===============================================
URL                                       store
========================================  ===============================================
``sqlite:///tenantry.db`` (default)       embedded SQLite file (WAL, ``synchronous=FULL``)
``sqlite:///path.db?synchronous=NORMAL``  faster commits; may lose the last ones on power loss
``postgresql+psycopg://u:p@host/db``      PostgreSQL (``?schema=name`` to use a schema)
``memory://``                             in memory, for tests and experiments
========================================  ===============================================

:class:`Database` is the one place a URL is read: the event store's settings, the projections'
engine (:func:`tenantry.adapters.projections.engine.projections_engine`) and the adapters' engine
(API clients, signing keys, idempotency keys) are all built from it, so they share one database.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from tenantry.adapters.files import create_private
from tenantry.adapters.sqlite_store import SYNCHRONOUS, SYNCHRONOUS_MODES
from tenantry.application.app import DEFAULT_INVITATION_LIFETIME, Tenantry, utc_now
from tenantry.domain import ids
from tenantry.domain.errors import InvalidField
from tenantry.domain.policies import ApplicationPolicy

DEFAULT_DATABASE_URL: Final = "sqlite:///tenantry.db"
DATABASE_URL_ENV: Final = "TENANTRY_DATABASE_URL"

Kind = Literal["memory", "sqlite", "postgres"]
A = TypeVar("A", bound=Tenantry)


def resolve_url(url: str | None = None) -> str:
    """``url``, else ``$TENANTRY_DATABASE_URL``, else the embedded SQLite file."""
    return url or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class Database:
    """A validated tenantry database URL and everything built from it."""

    url: str
    kind: Kind
    persistence: dict[str, str]
    """eventsourcing's persistence settings for the event store."""
    query: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, url: str | None = None) -> Database:
        """Reads ``url`` (see :func:`resolve_url` for the default); a URL tenantry cannot use
        is an :class:`InvalidField` on ``database_url``."""
        url = resolve_url(url)
        parts = urlsplit(url)
        scheme = parts.scheme.split("+")[0].lower()
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if scheme == "memory":
            return cls(url, "memory", {"PERSISTENCE_MODULE": "eventsourcing.popo"}, query)
        if scheme == "sqlite":
            return cls(url, "sqlite", _sqlite_persistence(parts.path, query), query)
        if scheme in ("postgresql", "postgres"):
            return cls(url, "postgres", _postgres_persistence(parts, query), query)
        raise InvalidField(
            "database_url", "must start with sqlite:///, postgresql+psycopg:// or memory://"
        )

    @property
    def lock_timeout(self) -> float:
        """Seconds a SQLite connection waits for another's write lock (``?timeout=``, default
        30): the event store (whole seconds, rounded up), the projections and the adapters'
        tables all honour it."""
        return float(self.query.get("timeout", DEFAULT_LOCK_TIMEOUT))

    @property
    def schema(self) -> str | None:
        """The PostgreSQL schema (``?schema=``), if any."""
        return self.persistence.get("POSTGRES_SCHEMA")

    def connect(
        self,
        *,
        clock: Callable[[], datetime] = utc_now,
        id_factory: Callable[[], UUID] = ids.new_id,
        invitation_lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
        policy: ApplicationPolicy | None = None,
    ) -> Tenantry:
        """The application on this database (see :meth:`open`)."""
        return self.open(
            Tenantry,
            clock=clock,
            id_factory=id_factory,
            invitation_lifetime=invitation_lifetime,
            policy=policy,
        )

    def open(
        self,
        cls: type[A],
        *,
        clock: Callable[[], datetime] = utc_now,
        id_factory: Callable[[], UUID] = ids.new_id,
        invitation_lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
        policy: ApplicationPolicy | None = None,
    ) -> A:
        """An application of class ``cls`` on this database; the event store's tables are
        created if missing (a new SQLite file with mode 0600)."""
        self.create_file()
        with schema_setup_lock(self.persistence):
            app = cls(
                self.persistence,
                clock=clock,
                id_factory=id_factory,
                invitation_lifetime=invitation_lifetime,
                policy=policy,
            )
        app.database_url = self.url
        return app

    def adapters_engine(self) -> sa.Engine:
        """An engine for the adapters' own tables (API clients, signing keys, idempotency keys):
        the same SQLite file or PostgreSQL schema as the events; for ``memory://`` an in-memory
        SQLite database that lives as long as the engine."""
        if self.kind == "memory":
            return one_connection_engine()
        self.create_file()
        if self.kind == "sqlite":
            name = self.persistence["SQLITE_DBNAME"]
            if name.startswith("file:"):
                return one_connection_engine(f"sqlite:///{name}&uri=true")
            return sa.create_engine(
                f"sqlite:///{name}", connect_args={"timeout": self.lock_timeout}
            )
        engine = sa.create_engine(
            self.postgres_url(), pool_pre_ping=True, pool_size=2, max_overflow=6
        )
        if self.schema:
            engine = engine.execution_options(schema_translate_map={None: self.schema})
        return engine

    def create_file(self) -> None:
        """Creates a missing SQLite file with mode 0600 before SQLite does (with the umask's
        mode, often world-readable); SQLite gives its ``-wal`` and ``-shm`` files the same mode."""
        name = self.persistence.get("SQLITE_DBNAME", "")
        if self.kind == "sqlite" and not name.startswith("file:"):
            create_private(name)

    def postgres_url(self) -> str:
        """The SQLAlchemy URL: tenantry's own query parameters are not libpq's."""
        parts = urlsplit(self.url)
        rest = "&".join(f"{k}={v}" for k, v in self.query.items() if k not in _TENANTRY_PARAMS)
        return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, rest, ""))


_TENANTRY_PARAMS: Final = ("schema", "pool_size", "max_overflow", "lock_timeout", "synchronous")


def _sqlite_persistence(url_path: str, query: dict[str, str]) -> dict[str, str]:
    # sqlite:///relative.db and sqlite:////absolute.db, as in SQLAlchemy.
    path = unquote(url_path[1:] if url_path.startswith("/") else url_path)
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
        "SQLITE_LOCK_TIMEOUT": str(math.ceil(_lock_timeout(query))),
        SYNCHRONOUS: mode,
    }


DEFAULT_LOCK_TIMEOUT: Final = 30.0


def _lock_timeout(query: dict[str, str]) -> float:
    raw = query.get("timeout", str(DEFAULT_LOCK_TIMEOUT))
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise InvalidField("database_url", "timeout must be 0-3600 seconds")
    return seconds


def _postgres_persistence(parts: Any, query: dict[str, str]) -> dict[str, str]:
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


def connect(
    database_url: str | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    id_factory: Callable[[], UUID] = ids.new_id,
    invitation_lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
    policy: ApplicationPolicy | None = None,
) -> Tenantry:
    """Builds tenantry on ``database_url`` (default: ``$TENANTRY_DATABASE_URL``, else the
    embedded SQLite file ``tenantry.db``). Tables are created if missing."""
    return Database.parse(database_url).connect(
        clock=clock, id_factory=id_factory, invitation_lifetime=invitation_lifetime, policy=policy
    )


def database_of(app: Tenantry) -> Database:
    """The database ``app`` was built on (by :func:`connect`)."""
    if app.database_url is None:
        raise InvalidField("app", "must be built by tenantry.connect (it knows its database)")
    return Database.parse(app.database_url)


# Any fixed 64-bit number: the advisory lock that serializes schema setup on one PostgreSQL server.
_SETUP_LOCK_KEY: Final = 0x7E4A_4E72_7953_6574


@contextmanager
def schema_setup_lock(env: dict[str, str]) -> Iterator[None]:
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


def create_all(metadata: sa.MetaData, engine: sa.Engine) -> None:
    """Creates ``metadata``'s tables if missing; safe when several processes start at once."""
    for attempt in range(3):
        try:
            metadata.create_all(engine, checkfirst=True)
            return
        except DBAPIError:  # another process created them between the check and the create
            if attempt == 2:
                raise
