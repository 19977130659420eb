"""eventsourcing's SQLite persistence with tenantry's durability settings.

WAL journal (readers never block the writer) and ``synchronous=FULL`` by default: a command that
returned is on disk even if the machine loses power. ``synchronous=NORMAL`` (``?synchronous=NORMAL``
in the URL) is faster per commit; in WAL mode it never corrupts the database, but the last
transactions before a power failure or OS crash may be lost (an application crash loses nothing).
"""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory
from eventsourcing.utils import Environment, EnvType

SYNCHRONOUS = "TENANTRY_SQLITE_SYNCHRONOUS"
SYNCHRONOUS_MODES = ("FULL", "NORMAL", "EXTRA")


class _Pool(SQLiteConnectionPool):
    synchronous = "FULL"

    def _create_connection(self) -> SQLiteConnection:
        conn = super()._create_connection()
        if not self.is_sqlite_memory_mode:
            conn._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn


class TenantrySQLiteFactory(SQLiteFactory):
    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        mode = (self.env.get(SYNCHRONOUS) or "FULL").upper()
        if mode not in SYNCHRONOUS_MODES:
            msg = f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}"
            raise ValueError(msg)
        old = self.datastore.pool
        pool = _Pool(db_name=old.db_name, lock_timeout=old.lock_timeout)
        pool.synchronous = mode
        old.close()
        self.datastore.pool = pool
