"""How every command is made: :func:`operation` turns a use-case function into a command with
the shared options, the connection, the error report and the printed result."""

import inspect
import typing
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ConfigDict

from tenantry.adapters.cli.options import DatabaseUrlOpt, DebugOpt, JsonOpt
from tenantry.adapters.cli.rendering import View, emit
from tenantry.adapters.cli.reporting import reporting
from tenantry.adapters.database import DEFAULT_DATABASE_URL, connect

F = TypeVar("F", bound=Callable[..., Any])


class Done(BaseModel):
    """What a command that returns nothing in the Python API did."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    organization_id: str
    user: str | None = None


def operation(group: typer.Typer, name: str, *, view: View | None = None) -> Callable[[F], F]:
    """Registers ``fn(t, ...)`` as command ``name`` of ``group``, adding ``--database-url``,
    ``--json`` and ``--debug``; connects, runs, reports errors, prints the returned data.
    A function that declares ``json_output`` prints its own output; one that declares
    ``database_url`` receives it too."""

    def decorate(fn: F) -> F:
        hints = typing.get_type_hints(fn, include_extras=True)
        own = list(inspect.signature(fn).parameters.values())[1:]
        declared = {p.name for p in own}
        prints_itself = "json_output" in declared
        params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in own]
        kw = inspect.Parameter.KEYWORD_ONLY
        params.append(inspect.Parameter("debug", kw, annotation=DebugOpt, default=False))
        if "database_url" not in declared:
            params.append(
                inspect.Parameter(
                    "database_url", kw, annotation=DatabaseUrlOpt, default=DEFAULT_DATABASE_URL
                )
            )
        if not prints_itself:
            params.append(inspect.Parameter("json_output", kw, annotation=JsonOpt, default=False))

        @wraps(fn)
        def command(**kwargs: Any) -> None:
            debug = kwargs.pop("debug")
            database_url = (
                kwargs["database_url"] if "database_url" in declared else kwargs.pop("database_url")
            )
            as_json = kwargs["json_output"] if prints_itself else kwargs.pop("json_output")
            with reporting(debug=debug, as_json=as_json):
                t = connect(database_url)
                try:
                    result = fn(t, **kwargs)
                finally:
                    t.close()
                if not prints_itself:
                    emit(result, as_json=as_json, view=view)

        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        group.command(name)(command)
        return fn

    return decorate
