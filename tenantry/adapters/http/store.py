"""The HTTP adapter's own table (idempotency keys), kept with SQLAlchemy Core in the same database
as the events: the SQLite file, the PostgreSQL schema, or — for ``memory://`` — an in-memory
SQLite database that lives as long as the process."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tenantry.adapters.database import Database, create_all

metadata = sa.MetaData()

idempotency_keys = sa.Table(
    "tenantry_http_idempotency_keys",
    metadata,
    sa.Column("scope", sa.String(255), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),  # NULL while the request runs
    # The log's head when the key was reserved: tells whether a request that died could have
    # recorded anything.
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("media_type", sa.String(100), nullable=True),
    sa.Column("body", sa.LargeBinary, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
)


def engine_for(database_url: str) -> Engine:
    """A SQLAlchemy engine on the same database as ``tenantry.connect(database_url)``."""
    return Database.parse(database_url).adapters_engine()


def create_tables(engine: Engine) -> None:
    """Creates the table if missing; safe when several workers start at once."""
    create_all(metadata, engine)
