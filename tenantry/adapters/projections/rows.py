"""Reading and writing a batch's rows: one SELECT … IN per table, one bulk upsert per table.

The upsert is compiled once per table into driver SQL and run with the driver's ``executemany``
(values bound as tuples, JSON columns serialized here), because SQLAlchemy's per-row parameter
processing cost more than the database's own work. ``INSERT … ON CONFLICT (key) DO UPDATE SET
c = excluded.c`` is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tenantry.projections.base import Row, RowRef, Writes

CHUNK = 500
"""Keys per ``IN (…)`` list: well under SQLite's and PostgreSQL's limits on bound parameters."""


@dataclass(frozen=True)
class Upsert:
    """A table's bulk upsert as driver SQL, and how a row becomes its parameters."""

    sql: str
    columns: tuple[tuple[str, bool], ...]
    """Each column's name and whether it holds JSON."""

    @classmethod
    def of(cls, table: sa.Table, dialect: sa.Dialect) -> Upsert:
        q = dialect.identifier_preparer.quote
        names = [c.name for c in table.columns]
        key = {c.name for c in table.primary_key.columns}
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        update = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in names if c not in key)
        sql = (
            f"INSERT INTO {q(table.name)} ({', '.join(q(c) for c in names)}) "
            f"VALUES ({', '.join([mark] * len(names))}) "
            f"ON CONFLICT ({', '.join(q(c) for c in names if c in key)}) "
            + (f"DO UPDATE SET {update}" if update else "DO NOTHING")
        )
        return cls(sql, tuple((c.name, isinstance(c.type, sa.JSON)) for c in table.columns))

    def params(self, rows: Iterable[Row]) -> list[tuple[Any, ...]]:
        cols = self.columns
        return [tuple(json.dumps(r[c]) if js else r[c] for c, js in cols) for r in rows]


def key_column(table: sa.Table) -> sa.Column[Any]:
    return table.primary_key.columns.values()[0]


def load(
    conn: sa.Connection, tables: dict[str, sa.Table], refs: Iterable[RowRef]
) -> dict[RowRef, Row | None]:
    """The rows at ``refs`` (``None`` where there is none), one query per table and chunk."""
    out: dict[RowRef, Row | None] = dict.fromkeys(refs)
    by_table: dict[str, list[Hashable]] = {}
    for logical, key in out:
        by_table.setdefault(logical, []).append(key)
    for logical, keys in by_table.items():
        table = tables[logical]
        pk = key_column(table)
        for i in range(0, len(keys), CHUNK):
            query = sa.select(table).where(pk.in_(keys[i : i + CHUNK]))
            for row in conn.execute(query).mappings():
                out[(logical, row[pk.name])] = dict(row)
    return out


def write(
    conn: sa.Connection,
    tables: dict[str, sa.Table],
    upserts: dict[str, Upsert],
    dirty: Writes,
    present: set[RowRef],
) -> None:
    """Writes ``dirty`` (rows to upsert, ``None`` to delete — when ``present`` in the table)."""
    rows: dict[str, list[Row]] = {}
    gone: dict[str, list[Hashable]] = {}
    for ref, row in dirty.items():
        if row is not None:
            rows.setdefault(ref[0], []).append(row)
        elif ref in present:
            gone.setdefault(ref[0], []).append(ref[1])
    for logical, keys in gone.items():
        table = tables[logical]
        pk = key_column(table)
        for i in range(0, len(keys), CHUNK):
            conn.execute(sa.delete(table).where(pk.in_(keys[i : i + CHUNK])))
    for logical, batch in rows.items():
        upsert = upserts[logical]
        conn.exec_driver_sql(upsert.sql, upsert.params(batch))
