"""Invalid fields named where a request carries them, for every surface (REST, gRPC).

A request nests or flattens some of the fields the application names (``max_allowed_users`` is
sent as ``settings.max_allowed_users``, a session policy's fields are sent without their
``session_policy.`` prefix), and a wrong field must be named the same whether the request's
schema refused it or the domain did."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from tenantry.domain.errors import InvalidField


@contextmanager
def fields_as_sent(renames: Mapping[str, str]) -> Iterator[None]:
    """Names the application's invalid fields where this request carries them: ``renames`` maps
    an application name (and every name under it) to the request's; ``""`` drops the prefix."""
    try:
        yield
    except InvalidField as error:
        field = _as_sent(error.field, renames)
        if field == error.field:
            raise
        raise _renamed(error, field) from None


def _as_sent(field: str, renames: Mapping[str, str]) -> str:
    for name, sent in renames.items():
        if field == name or field.startswith(f"{name}."):
            rest = field[len(name) + 1 :]
            return ".".join(part for part in (sent, rest) if part)
    return field


def _renamed(error: InvalidField, field: str) -> InvalidField:
    """``error`` (of its own class, with its typed fields) naming ``field`` instead."""
    renamed = type(error).__new__(type(error))  # not its __init__: subclasses take other args
    renamed.__dict__.update(vars(error))
    renamed.field = field
    renamed.message = f"{field}: {error.rule}"
    renamed.args = (renamed.message,)
    return renamed
