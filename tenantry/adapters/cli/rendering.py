"""How results look: a record or a list as a table for people, or one JSON document (exactly the
DTO's ``model_dump(mode="json")``) for scripts. Data goes to stdout; what is said about it
(notes, narration beside ``--json``) to stderr."""

import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import typer
from pydantic import BaseModel, TypeAdapter
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

console = Console()
err_console = Console(stderr=True)

View = Callable[[Any], RenderableType]


def jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return TypeAdapter(type(data)).dump_python(data, mode="json")
    if isinstance(data, list):
        return [jsonable(d) for d in data]
    return data


def cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items()) or "{}"
    if isinstance(value, list):
        if all(isinstance(v, dict) and set(v) == {"name", "enabled"} for v in value) and value:
            return ", ".join(f"{v['name']}={'on' if v['enabled'] else 'off'}" for v in value)
        if all(not isinstance(v, dict | list) for v in value):
            return ", ".join(str(v) for v in value) or "[]"
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, dict) and value and key != "metadata":
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _record_table(data: BaseModel) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in _flatten(data.model_dump(mode="json")):
        table.add_row(key, cell(value))
    return table


def _list_table(items: Sequence[BaseModel], title: str | None = None) -> Table:
    table = Table(title=title)
    rows = [item.model_dump(mode="json") for item in items]
    for key in rows[0] if rows else []:
        table.add_column(key, overflow="fold")
    for row in rows:
        table.add_row(*(cell(v) for v in row.values()))
    return table


def _default_view(data: Any) -> RenderableType:
    if isinstance(data, BaseModel):
        return _record_table(data)
    if isinstance(data, list):
        return _list_table(data) if data else Text("(none)", style="dim")
    return str(data)


def emit(data: Any, *, as_json: bool, view: View | None = None, err: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps(jsonable(data), ensure_ascii=False, indent=2), err=err)
    else:
        (err_console if err else console).print((view or _default_view)(data))


def footer(total: int, shown: int, next_token: str, prev_token: str) -> Text:
    """A page's ``shown of total`` line, with the tokens that fetch the next and previous."""
    text = Text(f"{shown} of {total}", style="dim")
    if next_token:
        text.append(f"  next: --page-token {next_token}", style="dim")
    if prev_token:
        text.append(f"  previous: --page-token {prev_token}", style="dim")
    return text
