"""Bookkeeping of the projections' tables: which generation of each projection readers use, which
one a rebuild is building, how far along the log each has come, and their tables.

Bookkeeping tables (not versioned): ``proj_registry`` (per projection: the live generation that
readers use and the generation a rebuild is building) and ``proj_tracking`` (per projection and
generation: the projection version, the log position its tables include, and their table
names). A generation's tables are named ``proj_<table>_v<version>_g<generation>``.

Generations are created, swapped and dropped one runner at a time: under an advisory lock on
PostgreSQL (a row lock cannot guard a registry row that does not exist yet); SQLite's write
transactions are serialized already (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tenantry.adapters.projections import failures, rows
from tenantry.adapters.projections.engine import reader, writer
from tenantry.adapters.projections.views import NAMING, View

SORT_CACHE_KIB = 8192
"""SQLite page cache, in KiB, while a rebuild builds its indexes (see :func:`_sorter_memory`)."""

_meta = sa.MetaData()
registry_table = sa.Table(
    "proj_registry",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("live_generation", sa.Integer),
    sa.Column("building_generation", sa.Integer),
)
tracking_table = sa.Table(
    "proj_tracking",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("generation", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("tables", sa.JSON, nullable=False),
)


_BOOKKEEPING_LOCK = sa.text(
    "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.proj_registry'))"
)


@dataclass(frozen=True)
class Generation:
    number: int
    version: int
    tables: dict[str, sa.Table]
    io: dict[str, rows.TableIO]


@contextmanager
def _sorter_memory(conn: sa.Connection) -> Iterator[None]:
    """On SQLite, a smaller page cache while ``CREATE INDEX`` runs (then the connection's own
    again): SQLite sizes the sort behind it by the page cache (``engine.CACHE_KIB``), which
    would add that much to the rebuild's peak memory on a large table; sorted in runs of
    ``SORT_CACHE_KIB`` instead (merged through temporary files), the peak stays that of the bulk
    load. (Helper threads for the sort, ``PRAGMA threads``, are not used: each sorts its own
    runs, which raises the peak again to save a small part of the rebuild's time.)"""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SORT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


class Generations:
    """The registry and tracking rows of one database's projections, and each generation's
    tables (defined once per process and cached, with the live generation of each view)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._write = writer(engine)
        self._read = reader(engine)
        self._gens: dict[tuple[str, int], Generation] = {}
        self._live: dict[str, int] = {}
        self._lock = threading.Lock()

    def create_bookkeeping(self) -> None:
        for attempt in range(3):
            try:
                with self._write.begin() as conn:
                    _meta.create_all(conn, checkfirst=True)
                    failures.metadata.create_all(conn, checkfirst=True)
                return
            except sa.exc.DBAPIError:  # another process created them at the same moment
                if attempt == 2:
                    raise

    def generation(self, view: View, number: int) -> Generation:
        """Generation ``number`` of ``view``'s tables, at the view's version."""
        version = view.projection.version
        with self._lock:
            gen = self._gens.get((view.name, number))
            if gen is None or gen.version != version:
                names = {t: f"proj_{t}_v{version}_g{number}" for t in view.projection.tables}
                tables = view.define(sa.MetaData(naming_convention=NAMING), names)
                io = {k: rows.TableIO.of(t, self._write.dialect) for k, t in tables.items()}
                gen = Generation(number, version, tables, io)
                self._gens[(view.name, number)] = gen
            return gen

    def registry(self, conn: sa.Connection, name: str, *, lock: bool = False) -> sa.Row[Any] | None:
        """The registry row of ``name``; with ``lock``, taken under the bookkeeping lock (until
        the transaction ends)."""
        if lock and conn.dialect.name == "postgresql":
            conn.execute(_BOOKKEEPING_LOCK)
        q = sa.select(registry_table).where(registry_table.c.name == name)
        return conn.execute(q).first()

    def tracking(self, conn: sa.Connection, name: str, number: int) -> sa.Row[Any] | None:
        t = tracking_table
        return conn.execute(sa.select(t).where(t.c.name == name, t.c.generation == number)).first()

    def set_registry(
        self, conn: sa.Connection, name: str, exists: bool, **values: int | None
    ) -> None:
        if exists:
            conn.execute(
                sa.update(registry_table).where(registry_table.c.name == name).values(**values)
            )
        else:
            conn.execute(sa.insert(registry_table).values(name=name, **values))

    def new(self, conn: sa.Connection, view: View, *, indexes: bool = True) -> int:
        """A new generation's empty tables, at position 0; without their secondary indexes if
        ``indexes`` is false (a rebuild adds them once its bulk load is done)."""
        t = tracking_table
        top = conn.execute(
            sa.select(sa.func.max(t.c.generation)).where(t.c.name == view.name)
        ).scalar()
        number = (top or 0) + 1
        gen = self.generation(view, number)
        for table in gen.tables.values():
            table.drop(conn, checkfirst=True)  # left over from an abandoned attempt
            if indexes:
                table.create(conn)
            else:
                conn.execute(sa.schema.CreateTable(table))
        conn.execute(
            sa.insert(t).values(
                name=view.name,
                generation=number,
                version=view.projection.version,
                position=0,
                tables=[tb.name for tb in gen.tables.values()],
            )
        )
        return number

    def move(self, conn: sa.Connection, name: str, number: int, start: int, end: int) -> bool:
        """Moves the tracking position of a generation from ``start`` to ``end``, if it still
        stands at ``start`` (a compare-and-set): false if another runner moved it first, or the
        generation was swapped out and dropped."""
        t = tracking_table
        moved = conn.execute(
            sa.update(t)
            .where(t.c.name == name, t.c.generation == number, t.c.position == start)
            .values(position=end)
        )
        return moved.rowcount == 1

    def live_tracking(self, conn: sa.Connection, view: View) -> sa.Row[Any] | None:
        """The tracking row of the live generation, if there is one."""
        reg = self.registry(conn, view.name)
        if reg is None or reg.live_generation is None:
            return None
        return self.tracking(conn, view.name, reg.live_generation)

    def live(self, view: View) -> Generation | None:
        """The live generation of ``view``, if one was built by this version of its
        projection."""
        number = self._live.get(view.name)
        if number is None:
            with self._read.connect() as conn:
                tr = self.live_tracking(conn, view)
            if tr is None or tr.version != view.projection.version:
                return None
            number = int(tr.generation)
            self._live[view.name] = number
        return self.generation(view, number)

    def forget_live(self, name: str) -> None:
        """Drops the cached live generation of ``name``: it is read again when next needed."""
        with self._lock:
            self._live.pop(name, None)

    def add_indexes(self, view: View, number: int) -> None:
        """The secondary indexes of a rebuilt generation, built once from its loaded rows
        (cheaper than keeping them up to date row by row), in their own transaction so that
        the swap's stays short. Readers never see a generation before it has them."""
        gen = self.generation(view, number)
        with self._write.begin() as conn:
            # Under the bookkeeping lock: two runners finishing the same rebuild add each index
            # once, and none to a generation another runner already swapped in (or dropped).
            reg = self.registry(conn, view.name, lock=True)
            if reg is None or reg.building_generation != number:
                return
            with _sorter_memory(conn):
                for table in gen.tables.values():
                    for index in table.indexes:
                        index.create(conn, checkfirst=True)

    def swap(self, view: View, number: int) -> None:
        """Makes the generation a rebuild built the live one, and drops the one it replaces."""
        with self._write.begin() as conn:
            reg = self.registry(conn, view.name, lock=True)
            if reg is None or reg.building_generation != number:
                return  # another runner swapped it already
            old = reg.live_generation
            self.set_registry(
                conn, view.name, True, live_generation=number, building_generation=None
            )
            if old is not None:
                self._drop(conn, view.name, int(old))
        self.forget_live(view.name)

    def _drop(self, conn: sa.Connection, name: str, number: int) -> None:
        tr = self.tracking(conn, name, number)
        if tr is None:
            return
        for table in tr.tables:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))
        t = tracking_table
        conn.execute(sa.delete(t).where(t.c.name == name, t.c.generation == number))
