"""The storage half of a projection plug-in: :class:`View` (tables and queries), the
:class:`Reading` its queries read through, and what they share (keyset pages, counts, columns).

A view's :meth:`View.schema` declares the columns (exactly the keys of the projection's rows) and
indexes of each table, and the store names the tables (it versions them). The view's query
methods read the tables of the live generation through a :class:`Reading` the store gives them;
a view that also reads another projection's tables names it in :attr:`View.joins`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from tenantry.projections import tokens
from tenantry.projections.base import BaseProjection

Record = Mapping[Any, Any]

NAMING: dict[str, str] = {"ix": "ix_%(table_name)s_%(column_0_N_name)s"}
"""Index names follow from the (versioned) table name, so every generation's are unique."""


@dataclass(frozen=True)
class Reading:
    """What a query reads through: a connection (one snapshot), the live tables by logical
    name (the view's own and those of the projections it joins, all at one log position), the
    page-token secret and the instant that invitation expiry is judged at."""

    conn: sa.Connection
    tables: Mapping[str, sa.Table]
    secret: bytes
    now: datetime


class View:
    """The storage half of a projection plug-in (subclass it with your projection)."""

    projection: ClassVar[BaseProjection[Any]]
    joins: ClassVar[tuple[str, ...]] = ()
    """Other projections (by name) whose live tables this view's queries read too: the store
    gives a reading of them at the same log position as the view's own (their logical table
    names must differ from the view's)."""

    def schema(self) -> dict[str, list[SchemaItem]]:
        """Columns and indexes of each table, by logical name (``sa.Index(None, "col")``: the
        name is made from the table's)."""
        raise NotImplementedError

    def define(self, metadata: sa.MetaData, names: Mapping[str, str]) -> dict[str, sa.Table]:
        """The projection's tables, by logical name, named ``names[logical]``."""
        return {t: sa.Table(names[t], metadata, *items) for t, items in self.schema().items()}

    @property
    def name(self) -> str:
        return self.projection.name

    def page(
        self,
        r: Reading,
        query: sa.Select[Any],
        seq: sa.Column[Any],
        *,
        size: int,
        token: str | None,
        kind: str,
        scope: str,
    ) -> tuple[list[sa.RowMapping], str, str]:
        """One page of ``query`` in ``seq`` order, with next and prev tokens (empty if none)."""
        after, direction, first = 0, "next", True
        version = self.projection.version
        if token is not None and token != "":  # a wrong type is refused by the decoder
            t = tokens.decode(token, kind=kind, scope=scope, version=version, secret=r.secret)
            after, direction, first = t.after, t.direction, False
        if direction == "next":
            q = query.where(seq > after).order_by(seq.asc())
        else:
            q = query.where(seq < after).order_by(seq.desc())
        rows = list(r.conn.execute(q.limit(size + 1)).mappings())
        more = len(rows) > size
        rows = rows[:size]
        if direction == "prev":
            rows.reverse()
        if not rows:
            return rows, "", ""

        def make(at: int, d: tokens.Direction) -> str:
            return tokens.encode(tokens.PageToken(kind, scope, at, d, version), r.secret)

        has_next = more if direction == "next" else True
        has_prev = (not first) if direction == "next" else more
        lo, hi = rows[0][seq.name], rows[-1][seq.name]
        return rows, make(hi, "next") if has_next else "", make(lo, "prev") if has_prev else ""


def count(r: Reading, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(where)
    return int(r.conn.execute(query).scalar_one())


def key_column(name: str, length: int) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), primary_key=True)


def id_column(name: str, *, null: bool = False) -> sa.Column[Any]:
    """A column holding a public id (``org_…``, ``usr_…``) or a UUID in hex."""
    return sa.Column(name, sa.String(32), nullable=null)


def micros_column(name: str, *, null: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.BigInteger, nullable=null)


def json_column(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.JSON, nullable=False)
