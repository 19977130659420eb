"""The HTTP adapter's own tables (API clients, signing keys, idempotency keys), kept with SQLAlchemy
Core in the same database as the events: the SQLite file, the PostgreSQL schema, or — for
``memory://`` — an in-memory SQLite database that lives as long as the process."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from tenantry.adapters.database import Database

metadata = sa.MetaData()

clients = sa.Table(
    "tenantry_http_clients",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(512), nullable=False),
    sa.Column("secret_version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
)

signing_keys = sa.Table(
    "tenantry_http_signing_keys",
    metadata,
    sa.Column("slot", sa.Integer, primary_key=True),
    sa.Column("kid", sa.String(64), nullable=False),
    sa.Column("private_key_pem", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

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
    """Creates the tables if missing; safe when several workers start at once."""
    for attempt in range(3):
        try:
            metadata.create_all(engine, checkfirst=True)
            return
        except DBAPIError:  # another process created them between the check and the create
            if attempt == 2:
                raise
