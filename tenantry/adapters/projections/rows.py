"""Reading and writing a batch's rows: one ``SELECT … WHERE key IN (…)`` and one bulk upsert
per table.

Both are built once per table as driver SQL (the upsert with many rows to a statement, values
bound as tuples, JSON serialized here) and run straight on the driver, because SQLAlchemy's
per-row parameter processing and its expanding ``IN``, and psycopg's ``executemany`` (a
statement per row), cost more than the database's own work.
``INSERT … ON CONFLICT (key) DO UPDATE SET c = excluded.c`` is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any

import pydantic_core
import sqlalchemy as sa

from tenantry.projections.base import Row, RowRef, Writes

CHUNK = 500
"""Keys per ``IN (…)`` list: well under SQLite's and PostgreSQL's limits on bound parameters."""


MAX_PARAMS = 30_000
"""Bound parameters per SQLite statement: under its limit of 32,766."""


@dataclass(frozen=True)
class TableIO:
    """A table's batch I/O as driver SQL, built once per table: a many-row upsert, a select and
    a delete of rows by key, and how values cross (JSON serialized here, results through each
    column type's own result processor).

    On PostgreSQL each column's values go as one array (``INSERT … SELECT * FROM unnest(…)``,
    ``WHERE key = ANY(…)``), so the statement text never changes and psycopg parses it once;
    on SQLite rows go as a multi-row ``VALUES`` list (its statement cache keeps each length).
    """

    key: str
    columns: tuple[tuple[str, bool], ...]
    """Each column's name and whether it holds JSON."""
    results: tuple[Callable[[Any], Any] | None, ...]
    arrays: bool
    upsert: tuple[str, str]
    """SQL before and after the rows (PostgreSQL: the whole statement, then nothing)."""
    select: tuple[str, str]
    """SQL before and after the keys (likewise ``delete``)."""
    delete: tuple[str, str]

    @classmethod
    def of(cls, table: sa.Table, dialect: sa.Dialect) -> TableIO:
        q = dialect.identifier_preparer.quote
        names = [c.name for c in table.columns]
        key = [c.name for c in table.primary_key.columns]
        name, cols = q(table.name), ", ".join(q(c) for c in names)
        update = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in names if c not in key)
        conflict = f" ON CONFLICT ({', '.join(q(c) for c in key)}) " + (
            f"DO UPDATE SET {update}" if update else "DO NOTHING"
        )
        arrays = dialect.name == "postgresql"
        if arrays:

            def array(c: sa.Column[Any]) -> str:
                return f"%b::{c.type.compile(dialect=dialect)}[]"  # binary: no text escaping

            unnest = ", ".join(array(c) for c in table.columns)
            upsert = (f"INSERT INTO {name} ({cols}) SELECT * FROM unnest({unnest}){conflict}", "")
            where = f"FROM {name} WHERE {q(key[0])} = ANY({array(table.c[key[0]])}"
        else:
            upsert = (f"INSERT INTO {name} ({cols}) VALUES ", conflict)
            where = f"FROM {name} WHERE {q(key[0])} IN ("
        return cls(
            key=key[0],
            columns=tuple((c.name, isinstance(c.type, sa.JSON)) for c in table.columns),
            results=tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in table.columns
            ),
            arrays=arrays,
            upsert=upsert,
            select=(f"SELECT {cols} {where}", ")"),
            delete=(f"DELETE {where}", ")"),
        )

    def upsert_rows(self, conn: sa.Connection, rows: Sequence[Row]) -> None:
        """Inserts or replaces ``rows`` (distinct keys)."""
        step = len(rows) if self.arrays else max(1, MAX_PARAMS // len(self.columns))
        for i in range(0, len(rows), step):
            # Column by column with map(): the per-value work stays in C.
            columns = [
                list(map(_json, map(itemgetter(c), rows[i : i + step])))
                if js
                else list(map(itemgetter(c), rows[i : i + step]))
                for c, js in self.columns
            ]
            if self.arrays:
                conn.exec_driver_sql(self.upsert[0], tuple(columns))
            else:
                marks = _marks(len(columns[0]), len(columns))
                flat = tuple(chain.from_iterable(zip(*columns, strict=True)))
                conn.exec_driver_sql(self.upsert[0] + marks + self.upsert[1], flat)

    def _by_keys(
        self, conn: sa.Connection, sql: tuple[str, str], keys: Sequence[Hashable]
    ) -> sa.CursorResult[Any]:
        if self.arrays:
            return conn.exec_driver_sql(sql[0] + sql[1], (list(keys),))
        return conn.exec_driver_sql(sql[0] + _marks(len(keys), 1) + sql[1], tuple(keys))

    def select_rows(self, conn: sa.Connection, keys: Sequence[Hashable]) -> Iterator[Row]:
        names = [c for c, _ in self.columns]
        results = self.results
        for values in self._by_keys(conn, self.select, keys):
            yield {
                name: value if fn is None else fn(value)
                for name, value, fn in zip(names, values, results, strict=True)
            }

    def delete_rows(self, conn: sa.Connection, keys: Sequence[Hashable]) -> None:
        self._by_keys(conn, self.delete, keys)


def _marks(n: int, width: int) -> str:
    """SQLite placeholders for ``n`` items of ``width`` values each."""
    one = "?" if width == 1 else f"({', '.join(['?'] * width)})"
    return ", ".join([one] * n)


def _json(value: Any) -> str:
    return pydantic_core.to_json(value).decode()


def load(
    conn: sa.Connection, io: Mapping[str, TableIO], refs: Iterable[RowRef]
) -> dict[RowRef, Row | None]:
    """The rows at ``refs`` (``None`` where there is none), one query per table and chunk."""
    out: dict[RowRef, Row | None] = dict.fromkeys(refs)
    by_table: dict[str, list[Hashable]] = {}
    for logical, key in out:
        by_table.setdefault(logical, []).append(key)
    for logical, keys in by_table.items():
        table = io[logical]
        for i in range(0, len(keys), CHUNK):
            for row in table.select_rows(conn, keys[i : i + CHUNK]):
                out[(logical, row[table.key])] = row
    return out


def write(
    conn: sa.Connection, io: Mapping[str, TableIO], dirty: Writes, present: set[RowRef]
) -> None:
    """Writes ``dirty`` (rows to upsert, ``None`` to delete — when ``present`` in the table)."""
    upserts: dict[str, list[Row]] = {}
    deletes: dict[str, list[Hashable]] = {}
    for ref, row in dirty.items():
        if row is not None:
            upserts.setdefault(ref[0], []).append(row)
        elif ref in present:
            deletes.setdefault(ref[0], []).append(ref[1])
    for logical, keys in deletes.items():
        for i in range(0, len(keys), CHUNK):
            io[logical].delete_rows(conn, keys[i : i + CHUNK])
    for logical, rows in upserts.items():
        io[logical].upsert_rows(conn, rows)
