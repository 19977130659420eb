"""The optional extras a command may need: the HTTP server's libraries (``http``), the HTTP/2
server and gRPC services (``grpc``) and the PostgreSQL driver (``postgres``). A missing one is a
refusal that names the ``pip`` command installing it, not a traceback from deep inside an
import."""

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import sqlalchemy as sa

from tenantry.adapters.database import Database
from tenantry.domain.errors import FailedPrecondition, InvalidField

_MODULES: Final = {
    "http": ("fastapi", "uvicorn", "jwt"),
    "postgres": ("psycopg", "psycopg_pool"),
    "grpc": ("hypercorn", "connectrpc", "scalekit"),
}


class ExtraMissing(FailedPrecondition):
    """Raised when a command needs an optional extra whose libraries are not installed."""

    code = "extra_missing"

    def __init__(self, extra: str, modules: list[str]) -> None:
        super().__init__(
            f"missing {', '.join(modules)}: install the {extra} extra with "
            f"pip install 'tenantry[{extra}]'"
        )
        self.extra = extra
        self.modules = modules


def require(extra: str) -> None:
    """Refuses with :class:`ExtraMissing` unless ``extra``'s libraries can be imported.
    Looked up, not imported, so that a command pays for the libraries only where it uses them."""
    missing = [m for m in _MODULES[extra] if importlib.util.find_spec(m) is None]
    if missing:
        raise ExtraMissing(extra, missing)


def database(url: str) -> Database:
    """``url`` read as a tenantry database whose driver is installed."""
    db = Database.parse(url)
    if db.kind == "postgres":
        require("postgres")
    return db


@contextmanager
def server_engine(url: str, kept: str) -> Iterator[sa.Engine]:
    """The engine of the HTTP server's own tables (``kept``: what they keep, e.g. "clients") in
    ``url``; not memory://, whose tables would die with this process."""
    require("http")
    db = database(url)
    if db.kind == "memory":
        raise InvalidField(
            "database_url", f"memory:// keeps {kept} inside the server process; use a database URL"
        )
    engine = db.adapters_engine()
    try:
        yield engine
    finally:
        engine.dispose()
