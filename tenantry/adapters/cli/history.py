"""``tenantry history | show | diff``: an organization's audit history, its past states and
what changed between two of them; ``tenantry audit list``: the environment-wide audit log."""

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tenantry.adapters.cli import parsing
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import OrgArg, PageSizeOpt, PageTokenOpt
from tenantry.adapters.cli.progress import caught_up
from tenantry.adapters.cli.rendering import cell
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.projections import dto as pdto

commands = typer.Typer()
audit_app = typer.Typer(help="The audit log: every recorded change, filtered and paged.")


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


def _audit_view(page: pdto.AuditPage) -> RenderableType:
    table = Table(title=f"{len(page.entries)} events", title_justify="left")
    for column in ("#", "time (UTC)", "organization", "event", "actor / for"):
        table.add_column(column, overflow="fold")
    for e in page.entries:
        who = escape(e.actor) + (
            f"\n[italic]for {escape(e.on_behalf_of)}[/]" if e.on_behalf_of else ""
        )
        table.add_row(
            str(e.position),
            e.timestamp.strftime("%m-%d %H:%M:%S"),
            e.organization_id or "",
            e.event,
            who,
        )
    if not page.next_page_token:
        return table
    return Group(table, Text(f"next: --page-token {page.next_page_token}", style="dim"))


@operation(audit_app, "list", view=_audit_view)
def audit_list(
    t: Tenantry,
    organization_id: Annotated[
        str | None, typer.Option("--org", help="Only this organization (org_ id).")
    ] = None,
    event_type: Annotated[
        str | None, typer.Option(help="Only this event type, e.g. Membership.RolesChanged.")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Only changes by this actor.")] = None,
    on_behalf_of: Annotated[
        str | None, typer.Option(help="Only changes made for this end user.")
    ] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="Recorded at or after (ISO 8601, UTC).")
    ] = None,
    to: Annotated[str | None, typer.Option(help="Recorded before (ISO 8601, UTC).")] = None,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
) -> pdto.AuditPage:
    """Every recorded change, oldest first: filter by organization, event type, actor, end
    user, time (page size 1-100, default 50)."""
    since = None if from_ is None else parsing.moment(from_, "from")
    until = None if to is None else parsing.moment(to, "to")
    with caught_up(t, "audit") as store:
        return store.list_audit_log(
            organization_id=organization_id,
            event_type=event_type,
            actor=actor,
            on_behalf_of=on_behalf_of,
            since=since,
            until=until,
            page_size=page_size,
            page_token=page_token,
        )
