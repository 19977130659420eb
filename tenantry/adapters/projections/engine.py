"""SQLAlchemy engines for the projections, on the same database as the events.

``sqlite:///path.db`` → the same file (writes take the lock up front, ``BEGIN IMMEDIATE``, so a
projection never fails to upgrade a read lock); ``postgresql+psycopg://…?schema=s`` → schema ``s``
through ``search_path``; ``memory://`` → a private in-memory SQLite database (events in memory
cannot share a transaction with anything, so nothing is lost by that).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy import event

from tenantry.adapters.database import one_connection_engine, persistence_env

CACHE_KIB = 65_536
"""SQLite page cache per connection, in KiB."""

WAL_CHECKPOINT_PAGES = 10_000
"""Pages (4 KiB) the write-ahead log of a SQLite database may grow to before a projection's
commit copies it back into the database file (SQLite's default is 1,000). A catch-up rewrites the
same index pages batch after batch (a read model keyed by e-mail-derived user ids inserts all
over its index); a checkpoint copies each page once however often it changed since the last
one, so ten times fewer checkpoints copy far fewer pages: catching the memberships up from a
1,000,000-event log behind spent 16 µs an event committing with the default and 9 µs with
this. ``journal_size_limit`` truncates the log back to ``WAL_LIMIT_BYTES`` after each."""
WAL_LIMIT_BYTES = 64 * 1024 * 1024

WRITE = "tenantry_write"
"""Execution option that makes a SQLite transaction take the write lock when it begins."""


def make_engine(database_url: str) -> sa.Engine:
    """The engine for ``database_url`` (a tenantry URL, validated like :func:`connect` does)."""
    env = persistence_env(database_url)
    module = env["PERSISTENCE_MODULE"]
    if module == "eventsourcing.popo":
        return _sqlite_transactions(one_connection_engine("sqlite+pysqlite://"))
    if module.startswith("tenantry.adapters.sqlite_store"):
        db = env["SQLITE_DBNAME"]
        connect_args: dict[str, Any] = {
            "timeout": float(env["SQLITE_LOCK_TIMEOUT"]),
            "check_same_thread": False,
        }
        if db.startswith("file:"):
            connect_args["uri"] = True
        engine = sa.create_engine(f"sqlite+pysqlite:///{db}", connect_args=connect_args)
        synchronous = env.get("TENANTRY_SQLITE_SYNCHRONOUS", "FULL")

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute(f"PRAGMA synchronous={synchronous}")
            # 64 MB of page cache (SQLite's default is 2 MB): the read models keyed by random
            # ids insert all over their B-trees, and a rebuild of a large log re-reads evicted
            # pages at every batch otherwise. It fills only as pages are used.
            dbapi_conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            dbapi_conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")

        return _sqlite_transactions(engine)
    parts = urlsplit(database_url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    schema = query.get("schema")
    url = urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, "", ""))
    args: dict[str, Any] = {}
    if schema:
        args["options"] = f"-csearch_path={unquote(schema)}"
    return sa.create_engine(url, connect_args=args, pool_size=5, max_overflow=5, pool_pre_ping=True)


def _sqlite_transactions(engine: sa.Engine) -> sa.Engine:
    """pysqlite's own transaction handling is replaced by explicit BEGINs (SQLAlchemy's recipe),
    so reads see one snapshot and writes lock at BEGIN."""

    @event.listens_for(engine, "connect")
    def _autocommit(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def writer(engine: sa.Engine) -> sa.Engine:
    return engine.execution_options(**{WRITE: True})


def reader(engine: sa.Engine) -> sa.Engine:
    if engine.dialect.name == "postgresql":
        # One snapshot for a page and its total.
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine
