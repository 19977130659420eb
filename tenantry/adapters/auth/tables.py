"""The API clients' tables (clients and their hashed secrets, the token signing keys), kept with
SQLAlchemy Core in the same database as the events (see :meth:`Database.adapters_engine`).

Columns added since a table was first created are added on start (:func:`create_tables`), all
nullable: a client stored before scopes existed has none, so it stays full-environment."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

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
    # space-separated; NULL: full-environment (every scope) / every organization
    sa.Column("scopes", sa.Text, nullable=True),
    sa.Column("organizations", sa.Text, nullable=True),
)

signing_keys = sa.Table(
    "tenantry_http_signing_keys",
    metadata,
    sa.Column("slot", sa.Integer, primary_key=True),  # 1, 2, …: the newest live key signs
    sa.Column("kid", sa.String(64), nullable=False),
    sa.Column("private_key_pem", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
)

_ADDED = {
    clients: ("scopes", "organizations"),
    signing_keys: ("retired_at",),
}
"""The columns each table gained after its first release (added to older databases on start)."""


def create_tables(engine: Engine) -> None:
    """Creates the tables if missing and adds the columns they gained; safe when several
    workers start at once."""
    create_all(metadata, engine)
    schema = engine.get_execution_options().get("schema_translate_map", {}).get(None)
    for table, names in _ADDED.items():
        present = {c["name"] for c in sa.inspect(engine).get_columns(table.name, schema=schema)}
        for name in names:
            if name not in present:
                _add_column(engine, table, table.c[name], schema)


def _add_column(
    engine: Engine, table: sa.Table, column: sa.Column[object], schema: str | None
) -> None:
    quote = engine.dialect.identifier_preparer
    name = quote.quote(table.name)
    if schema:
        name = f"{quote.quote_schema(schema)}.{name}"
    kind = column.type.compile(dialect=engine.dialect)
    ddl = f"ALTER TABLE {name} ADD COLUMN {quote.quote(column.name)} {kind}"
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(ddl))
    except DBAPIError:  # another worker added it between the check and the ALTER
        with engine.connect() as conn:
            conn.execute(sa.select(column).select_from(table).limit(1))
