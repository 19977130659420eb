"""Projections that met an event they could not apply: recorded durably, one row per projection
generation, so that the others go on, ``projections status`` and the server's readiness show it,
and a later catch-up resumes from the event that failed.

Bookkeeping table ``proj_failures`` (per projection and generation): the log position of the
event that failed, the error (its class and message: never the SQL statement or its
parameters), when it first and last failed and how many times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa

from tenantry.projections import dto as pdto

ERROR_MAX: Final = 500
"""Characters of an error's message kept (the rest is cut)."""

metadata = sa.MetaData()
failures_table = sa.Table(
    "proj_failures",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("generation", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
)


@dataclass(frozen=True)
class Failure:
    """A projection generation stopped before the event at ``position``."""

    name: str
    generation: int
    position: int
    error: str
    first_failed_at: datetime
    last_failed_at: datetime
    attempts: int


def describe(error: BaseException) -> str:
    """The error's class and message, without what a database error carries besides (the SQL
    statement and its bound parameters: row values, perhaps secrets)."""
    if isinstance(error, sa.exc.StatementError) and error.orig is not None:
        error = error.orig
    text = str(error).split("\n", 1)[0]  # a driver's later lines quote the statement
    text = f"{type(error).__name__}: {text}".replace("\x00", "\\x00")
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def record(
    conn: sa.Connection, name: str, generation: int, position: int, error: BaseException
) -> None:
    """Records (or records again) that ``generation`` of ``name`` failed at ``position``."""
    t = failures_table
    now = datetime.now(UTC)
    where = (t.c.name == name, t.c.generation == generation)
    known = conn.execute(sa.select(t.c.position, t.c.attempts).where(*where)).first()
    values = {"position": position, "error": describe(error), "last_failed_at": now}
    if known is None:
        conn.execute(
            sa.insert(t).values(
                name=name, generation=generation, first_failed_at=now, attempts=1, **values
            )
        )
    else:
        attempts = int(known.attempts) + 1 if int(known.position) == position else 1
        conn.execute(sa.update(t).where(*where).values(attempts=attempts, **values))


def clear(conn: sa.Connection, name: str, generation: int) -> None:
    t = failures_table
    conn.execute(sa.delete(t).where(t.c.name == name, t.c.generation == generation))


def all_failures(conn: sa.Connection) -> dict[tuple[str, int], Failure]:
    """Every recorded failure, by (projection name, generation)."""
    out = {}
    for row in conn.execute(sa.select(failures_table)).mappings():
        failure = Failure(
            name=row["name"],
            generation=int(row["generation"]),
            position=int(row["position"]),
            error=row["error"],
            first_failed_at=aware(row["first_failed_at"]),
            last_failed_at=aware(row["last_failed_at"]),
            attempts=int(row["attempts"]),
        )
        out[(failure.name, failure.generation)] = failure
    return out


def aware(moment: datetime) -> datetime:
    """``moment`` with its UTC zone (SQLite returns stored moments without it)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def as_status(failure: Failure | None) -> pdto.ProjectionFailure | None:
    """The failure as ``projections status`` shows it."""
    if failure is None:
        return None
    return pdto.ProjectionFailure(
        position=failure.position,
        error=failure.error,
        first_failed_at=failure.first_failed_at,
        last_failed_at=failure.last_failed_at,
        attempts=failure.attempts,
    )
