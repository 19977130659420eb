"""How every command is made: :func:`operation` turns a function into a command with the shared
options (``--database-url/-d``, ``--json``, ``--debug``), what it works on (the application, by
default), the error report and the printed result."""

import inspect
import typing
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import wraps
from types import SimpleNamespace
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ConfigDict

from tenantry.adapters.cli.extras import database
from tenantry.adapters.cli.options import DatabaseUrlOpt, DebugOpt, JsonOpt
from tenantry.adapters.cli.rendering import View, emit
from tenantry.adapters.cli.reporting import reporting
from tenantry.adapters.database import DEFAULT_DATABASE_URL
from tenantry.adapters.policy_env import policy_from_env
from tenantry.application.app import Tenantry

F = TypeVar("F", bound=Callable[..., Any])
Opener = Callable[[str], AbstractContextManager[Any]]
"""What a command works on, opened from the database URL and closed after the command."""


class Done(BaseModel):
    """What a command that returns nothing in the Python API did."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    organization_id: str
    user: str | None = None


@contextmanager
def application(database_url: str) -> Iterator[Tenantry]:
    """The application on ``database_url``, closed afterwards."""
    t = database(database_url).connect(policy=policy_from_env())
    try:
        yield t
    finally:
        t.close()


def operation(
    group: typer.Typer, name: str, *, view: View | None = None, opens: Opener = application
) -> Callable[[F], F]:
    """Registers ``fn(opened, ...)`` as command ``name`` of ``group``, adding ``--database-url``,
    ``--json`` and ``--debug``; opens what ``fn`` works on (``opens(database_url)``: the
    application by default), runs, reports errors, prints the returned data. A function that
    declares ``json_output`` prints its own output; one that declares ``database_url``
    receives it too."""

    def decorate(fn: F) -> F:
        own = list(inspect.signature(fn).parameters.values())[1:]
        hints = _hints(fn, own)
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
                with opens(database_url) as opened:
                    result = fn(opened, **kwargs)
                if not prints_itself:
                    emit(result, as_json=as_json, view=view)

        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        group.command(name)(command)
        return fn

    return decorate


def _hints(fn: Callable[..., Any], params: list[inspect.Parameter]) -> dict[str, Any]:
    """The resolved annotations of ``params`` (typer reads the options from them), without
    resolving the first parameter's: its type may load only when the command runs (the
    ``http`` extra's API clients)."""
    annotations = getattr(fn, "__annotations__", {})
    wanted = {p.name: annotations[p.name] for p in params if p.name in annotations}
    return typing.get_type_hints(
        SimpleNamespace(__annotations__=wanted), globalns=fn.__globals__, include_extras=True
    )
