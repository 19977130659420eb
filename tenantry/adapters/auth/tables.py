"""The API clients' tables (clients and their hashed secrets, the token signing keys), kept with
SQLAlchemy Core in the same database as the events (see :meth:`Database.adapters_engine`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tenantry.adapters.database import create_all

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


def create_tables(engine: Engine) -> None:
    """Creates the tables if missing; safe when several workers start at once."""
    create_all(metadata, engine)
