"""The projections' per-database secret: the key that signs their page tokens.

It is made once, at random, by the first process that opens the projections of a database, and
kept in a small table beside them (``proj_secrets``), so that every process serving the same
database signs and checks tokens alike, a token of one database is refused by another, and no
key is a constant of the source code. Rotating it (deleting its row) only invalidates the page
tokens in flight.
"""

from __future__ import annotations

import secrets
from typing import Final

import sqlalchemy as sa

PAGE_TOKENS: Final = "page_tokens"
_BYTES: Final = 32

_meta = sa.MetaData()
secrets_table = sa.Table(
    "proj_secrets",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
)


def _read(engine: sa.Engine, name: str) -> bytes | None:
    with engine.begin() as conn:
        q = sa.select(secrets_table.c.value).where(secrets_table.c.name == name)
        value = conn.execute(q).scalar_one_or_none()
    return None if value is None else bytes.fromhex(value)


def database_secret(engine: sa.Engine, name: str = PAGE_TOKENS) -> bytes:
    """The secret ``name`` of the database behind ``engine`` (a writer), made on first use."""
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                _meta.create_all(conn, checkfirst=True)
            break
        except sa.exc.DBAPIError:  # another process created the table at the same moment
            if attempt == 2:
                raise
    found = _read(engine, name)
    if found is not None:
        return found
    try:
        with engine.begin() as conn:
            made = secrets.token_bytes(_BYTES)
            conn.execute(sa.insert(secrets_table).values(name=name, value=made.hex()))
        return made
    except sa.exc.IntegrityError:  # another process made it first: use theirs
        found = _read(engine, name)
        if found is None:  # pragma: no cover - a row that conflicts exists
            raise
        return found
