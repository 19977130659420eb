"""The projections' SQLAlchemy engine, built from the application's :class:`Database`, and how
its transactions begin (SQLite writes take the lock up front, ``BEGIN IMMEDIATE``, so a projection
never fails to upgrade a read lock)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from tenantry.adapters.database import Database, one_connection_engine
from tenantry.adapters.sqlite_store import SYNCHRONOUS

CACHE_KIB = 65_536
"""SQLite page cache per connection, in KiB."""

WAL_CHECKPOINT_PAGES = 10_000
"""Pages (4 KiB) the write-ahead log of a SQLite database may grow to before a projection's
commit copies it back into the database file (SQLite's default is 1,000). A catch-up rewrites the
same index pages batch after batch (a read model keyed by e-mail-derived user ids inserts all
over its index); a checkpoint copies each page once however often it changed since the last
one, so ten times fewer checkpoints copy far fewer pages (the benchmark's catch-up of the
memberships from far behind shows it). ``journal_size_limit`` truncates the log back to
``WAL_LIMIT_BYTES`` after each."""
WAL_LIMIT_BYTES = 64 * 1024 * 1024

WRITE = "tenantry_write"
"""Execution option that makes a SQLite transaction take the write lock when it begins."""


def projections_engine(db: Database) -> sa.Engine:
    """The projections' engine on ``db``: the same SQLite file (writes take the lock at
    ``BEGIN``), the same PostgreSQL schema (through ``search_path``), or — for ``memory://`` — a
    private in-memory SQLite database (events in memory share no transaction with anything, so
    nothing is lost by that)."""
    if db.kind == "memory":
        return _sqlite_transactions(one_connection_engine("sqlite+pysqlite://"))
    if db.kind == "sqlite":
        name = db.persistence["SQLITE_DBNAME"]
        connect_args: dict[str, Any] = {
            "timeout": db.lock_timeout,
            "check_same_thread": False,
        }
        if name.startswith("file:"):
            connect_args["uri"] = True
        engine = sa.create_engine(f"sqlite+pysqlite:///{name}", connect_args=connect_args)
        synchronous = db.persistence[SYNCHRONOUS]

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute(f"PRAGMA synchronous={synchronous}")
            # A large page cache (SQLite's default is 2 MB): the read models keyed by random
            # ids insert all over their B-trees, and a rebuild of a large log re-reads evicted
            # pages at every batch otherwise. It fills only as pages are used.
            dbapi_conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            dbapi_conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")

        return _sqlite_transactions(engine)
    args: dict[str, Any] = {}
    if db.schema:
        args["options"] = f"-csearch_path={db.schema}"
    return sa.create_engine(
        db.postgres_url(), connect_args=args, pool_size=5, max_overflow=5, pool_pre_ping=True
    )


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
