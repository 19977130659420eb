"""The one table from a refusal's kind to the process's exit code, and the one place that turns
an error into what the user sees (one stderr line, or a traceback with ``--debug``)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import typer
from eventsourcing import persistence as es_persistence
from sqlalchemy import exc as sa_exc

from tenantry.domain.errors import ErrorKind, TenantryError

EXIT_OK: Final = 0
EXIT_INTERNAL: Final = 1
EXIT_USAGE: Final = 2  # click's own code for a bad command line
UNAVAILABLE: Final = "unavailable"
"""The kind of a database that cannot be reached, or is locked past its timeout."""
EXIT_CODES: Final[dict[str, int]] = {
    ErrorKind.INVALID_ARGUMENT: 3,
    ErrorKind.NOT_FOUND: 4,
    ErrorKind.CONFLICT: 5,
    ErrorKind.FAILED_PRECONDITION: 6,
    ErrorKind.UNAUTHENTICATED: 7,
    ErrorKind.PERMISSION_DENIED: 8,
    UNAVAILABLE: 9,
}
"""The one table from a refusal's kind to the process's exit code."""

_UNAVAILABLE: Final = (
    es_persistence.OperationalError,
    es_persistence.InterfaceError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)


@contextmanager
def reporting(*, debug: bool, as_json: bool) -> Iterator[None]:
    """Turns a refusal into one stderr line and its kind's exit code; any other error into a
    one-line report (exit 1), or its traceback with ``--debug``."""
    try:
        yield
    except TenantryError as e:
        if as_json:
            error = {
                "code": e.code,
                "kind": str(e.kind),
                "message": e.message,
                "details": e.details,
            }
            typer.echo(json.dumps({"error": error}, ensure_ascii=False), err=True)
        else:
            typer.echo(f"error [{e.code}]: {e.message}", err=True)
        raise typer.Exit(EXIT_CODES[e.kind]) from None
    except (typer.Exit, typer.Abort):
        raise
    except _UNAVAILABLE as e:
        # Expected of a database (down, refusing connections, locked): no traceback, and a
        # code of its own that a script can retry on.
        if debug:
            raise
        orig = getattr(e, "orig", None) or e
        first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        message = f"the database is unavailable: {first}"
        if as_json:
            error = {"code": UNAVAILABLE, "kind": UNAVAILABLE, "message": message, "details": {}}
            typer.echo(json.dumps({"error": error}, ensure_ascii=False), err=True)
        else:
            typer.echo(f"error [{UNAVAILABLE}]: {message}", err=True)
        raise typer.Exit(EXIT_CODES[UNAVAILABLE]) from None
    except Exception as e:
        if debug:
            raise
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        typer.echo(
            f"error [internal]: {type(e).__name__}: {first} (run again with --debug for the "
            "traceback)",
            err=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None
