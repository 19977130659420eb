"""``tenantry history | show | diff``: an organization's audit history, its past states and
what changed between two of them."""

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import typer
from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tenantry.adapters.cli import parsing
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import OrgArg
from tenantry.adapters.cli.rendering import cell
from tenantry.application import dto
from tenantry.application.app import Tenantry

commands = typer.Typer()


def _changes(h: dto.HistoryEntry) -> Iterator[str]:
    """A history entry's readable diff: what a creation set, else each field's before → after
    (a map field shows only its changed keys)."""
    if h.version == 1:
        for key, value in h.data.items():
            if value not in (None, {}, []):
                yield f"{key} = {cell(value)}"
        return
    if "email" in h.data:
        yield f"member {h.data['email']}"
    for c in h.changes:
        if isinstance(c.before, dict | None) and isinstance(c.after, dict):
            before = c.before or {}
            for key in dict.fromkeys([*before, *c.after]):
                if before.get(key) != c.after.get(key):
                    yield f"{c.field}.{key}: {cell(before.get(key))} → {cell(c.after.get(key))}"
        else:
            yield f"{c.field}: {cell(c.before)} → {cell(c.after)}"


def history_view(entries: list[dto.HistoryEntry]) -> Table:
    table = Table(title=f"{len(entries)} events", title_justify="left")
    table.add_column("v", justify="right", no_wrap=True)
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("event", no_wrap=True)
    table.add_column("actor / for / reason", overflow="fold")
    table.add_column("changes", overflow="fold", ratio=1)
    for h in entries:
        who = escape(h.actor)
        if h.on_behalf_of:
            who += f"\n[italic]for {escape(h.on_behalf_of)}[/]"
        if h.reason:
            who += f"\n[dim]{escape(h.reason)}[/]"
        table.add_row(
            str(h.version),
            h.timestamp.strftime("%m-%d %H:%M:%S"),
            h.event,
            who,
            "\n".join(_changes(h)),
        )
    return table


@operation(commands, "history", view=history_view)
def history(
    t: Tenantry,
    organization_id: OrgArg,
    from_version: Annotated[int, typer.Option(help="Start at this version.")] = 1,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many events.")] = None,
) -> list[dto.HistoryEntry]:
    """Every event of an organization: who, when, and what it changed."""
    return t.list_history(organization_id, from_version=from_version, limit=limit)


@operation(commands, "show")
def show(
    t: Tenantry,
    organization_id: OrgArg,
    as_of: Annotated[str | None, typer.Option(help="A moment (ISO 8601, UTC).")] = None,
    version: Annotated[int | None, typer.Option(help="A version of its history.")] = None,
) -> dto.Organization:
    """Show an organization as it was at a moment (--as-of) or a version (--version)."""
    at = None if as_of is None else parsing.moment(as_of, "as_of")
    return t.get_organization_as_of(organization_id, version=version, at=at)


def _point(value: str, field: str) -> int | datetime:
    """A point of the history as given on the command line: a version number or a moment."""
    return int(value) if value.strip().isdigit() else parsing.moment(value, field)


def _diff_view(d: dto.OrganizationDiff) -> RenderableType:
    title = f"{d.organization_id}: version {d.from_version} → {d.to_version}"
    if not d.changes:
        return Text(f"{title}: no changes")
    table = Table(title=title)
    for column in ("field", "before", "after"):
        table.add_column(column, overflow="fold")
    for c in d.changes:
        table.add_row(c.field, cell(c.before), cell(c.after))
    return table


@operation(commands, "diff", view=_diff_view)
def diff(
    t: Tenantry,
    organization_id: OrgArg,
    from_: Annotated[str, typer.Option("--from", help="A version number or an ISO 8601 time.")],
    to: Annotated[str | None, typer.Option(help="Version or time (default: now).")] = None,
) -> dto.OrganizationDiff:
    """What changed in an organization between two versions or moments."""
    return t.diff_organization(
        organization_id,
        from_=_point(from_, "from"),
        to=None if to is None else _point(to, "to"),
    )
