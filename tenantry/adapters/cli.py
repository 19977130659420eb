"""The ``tenantry`` command line (typer + rich): every use case, audit-history replay, tenant
export and import, and the guided demo.

Tables by default; ``--json`` prints the result's data exactly as the Python API's DTOs dump it
(``model_dump(mode="json")``), one JSON document. A refusal prints one line on stderr,
``error [code]: message``, and exits with the code of its kind (:data:`EXIT_CODES`).
"""

import inspect
import json
import re
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar

import typer
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from rich.console import Console, Group, RenderableType
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

from tenantry.adapters.cli_projections import projections_app
from tenantry.adapters.database import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, connect
from tenantry.adapters.http.cli import register_http_commands
from tenantry.adapters.projections import ProjectionStore
from tenantry.application import dto, transfer
from tenantry.application.app import UNSET, Tenantry
from tenantry.domain.errors import (
    ErrorKind,
    InvalidField,
    SeatLimitReached,
    TenantryError,
    VersionNotFound,
)
from tenantry.projections import dto as pdto

EXIT_OK: Final = 0
EXIT_INTERNAL: Final = 1
EXIT_USAGE: Final = 2  # click's own code for a bad command line
EXIT_CODES: Final[dict[ErrorKind, int]] = {
    ErrorKind.INVALID_ARGUMENT: 3,
    ErrorKind.NOT_FOUND: 4,
    ErrorKind.CONFLICT: 5,
    ErrorKind.FAILED_PRECONDITION: 6,
}
"""The one table from a refusal's kind to the process's exit code."""

app = typer.Typer(
    help="tenantry: an event-sourced organizations core.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # errors are reported by _reporting(); --debug re-raises
    rich_markup_mode="rich",
)
orgs_app = typer.Typer(help="Organizations: create, get, update, delete.", no_args_is_help=True)
settings_app = typer.Typer(help="Organization settings (feature toggles).", no_args_is_help=True)
seats_app = typer.Typer(help="The seat limit and seat usage.", no_args_is_help=True)
session_app = typer.Typer(help="The organization's session policy.", no_args_is_help=True)
sign_in_app = typer.Typer(help="Allowed sign-in methods.", no_args_is_help=True)
members_app = typer.Typer(help="Members and invitations.", no_args_is_help=True)
users_app = typer.Typer(help="Users (one identity across organizations).", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
app.add_typer(settings_app, name="settings")
app.add_typer(seats_app, name="seats")
app.add_typer(session_app, name="session-policy")
app.add_typer(sign_in_app, name="sign-in-methods")
app.add_typer(members_app, name="members")
app.add_typer(users_app, name="users")
app.add_typer(projections_app, name="projections")
register_http_commands(app)  # serve, clients (tenantry.adapters.http)

console = Console()
err_console = Console(stderr=True)

# --- options shared by every command ----------------------------------------------------------

DatabaseUrlOpt = Annotated[
    str,
    typer.Option(
        "--database-url",
        "-d",
        envvar=DATABASE_URL_ENV,
        help="Where the events live.",
        show_default=True,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the result as one JSON document (for scripts).")
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Show the traceback of an unexpected error.")
]
ActorOpt = Annotated[
    str,
    typer.Option(envvar="TENANTRY_ACTOR", help="Who makes the change (recorded in the history)."),
]
ReasonOpt = Annotated[
    str | None, typer.Option(help="Why (recorded in the history).", show_default=False)
]
OrgArg = Annotated[str, typer.Argument(help="The organization's id (org_…).", show_default=False)]
UserArg = Annotated[
    str, typer.Argument(help="The user's id (usr_…) or e-mail.", show_default=False)
]
MetadataOpt = Annotated[
    list[str] | None,
    typer.Option("--metadata", "-m", help="KEY=VALUE; repeat for more pairs.", show_default=False),
]
RolesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--role", "-r", help="A role; repeat for more (default: member).", show_default=False
    ),
]
ExpiresInOpt = Annotated[
    str | None,
    typer.Option(
        help="Invitation lifetime: 30m, 12h, 15d, 2w or ISO 8601 (P15D).", show_default=False
    ),
]

ExternalIdOpt = Annotated[str | None, typer.Option(help="Your system's id for it.")]
SlugOpt = Annotated[str | None, typer.Option(help="A DNS label, unique among live orgs.")]
LogoUrlOpt = Annotated[str | None, typer.Option(help="https:// URL of its logo.")]
RegionOpt = Annotated[str | None, typer.Option(help="US or EU (fixed at creation).")]

F = TypeVar("F", bound=Callable[..., Any])
View = Callable[[Any], RenderableType]


class Done(BaseModel):
    """What a command that returns nothing in the Python API did."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    organization_id: str
    user: str | None = None


class UserView(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    email: str


class OrganizationDiff(BaseModel):
    """What changed in an organization between two versions of its history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organization_id: str
    from_version: int
    to_version: int
    changes: list[dto.FieldChange]


# --- errors and output -------------------------------------------------------------------------


@contextmanager
def _reporting(*, debug: bool, as_json: bool) -> Iterator[None]:
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


def _jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list):
        return [_jsonable(d) for d in data]
    return data


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items()) or "{}"
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
        table.add_row(key, _cell(value))
    return table


def _list_table(items: Sequence[BaseModel], title: str | None = None) -> Table:
    table = Table(title=title)
    rows = [item.model_dump(mode="json") for item in items]
    for key in rows[0] if rows else []:
        table.add_column(key, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    return table


def _default_view(data: Any) -> RenderableType:
    if isinstance(data, BaseModel):
        return _record_table(data)
    if isinstance(data, list):
        return _list_table(data) if data else Text("(none)", style="dim")
    return str(data)


def _emit(data: Any, *, as_json: bool, view: View | None = None, err: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps(_jsonable(data), ensure_ascii=False, indent=2), err=err)
    else:
        (err_console if err else console).print((view or _default_view)(data))


def _bar(total: int | None, *, console_: Console = err_console, always: bool = False) -> Progress:
    """A progress bar, on stderr and only on a terminal unless ``always``."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total is not None else TextColumn("{task.completed}"),
        console=console_,
        transient=not always,
        disable=not (always or console_.is_terminal),
    )


@contextmanager
def _progress(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)``; the bar is drawn on stderr on a terminal, so pipes stay clean."""
    with _bar(total) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def _tracker(bar: Progress, description: str) -> Callable[[int, int], None]:
    """A projection's ``progress(position, head)`` drawn on ``bar``."""
    task = bar.add_task(description, total=None)
    return lambda at, head: bar.update(task, completed=at, total=head)


@contextmanager
def _caught_up(
    t: Tenantry,
    database_url: str,
    *names: str,
    console_: Console = err_console,
    always: bool = False,
) -> Iterator[ProjectionStore]:
    """The projections, with ``names`` brought up to the head of the log first (a bar shows
    how far), so a query in this short-lived process sees every recorded event."""
    store = ProjectionStore(t)
    try:
        for name in names:
            with _bar(store.head(), console_=console_, always=always) as bar:
                store.catch_up(name, progress=_tracker(bar, f"catching up {name}"))
        yield store
    finally:
        store.close()


# --- how every command is made ----------------------------------------------------------------


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
            with _reporting(debug=debug, as_json=as_json):
                t = connect(database_url)
                try:
                    result = fn(t, **kwargs)
                finally:
                    t.close()
                if not prints_itself:
                    _emit(result, as_json=as_json, view=view)

        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        group.command(name)(command)
        return fn

    return decorate


# --- argument parsing ---------------------------------------------------------------------------


def _pairs(items: Sequence[str] | None, field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidField(field, f"must be KEY=VALUE; got {item!r}")
        out[key.strip()] = value
    return out


_SWITCH: Final = {
    "on": True,
    "true": True,
    "yes": True,
    "1": True,
    "off": False,
    "false": False,
    "no": False,
    "0": False,
}


def _switches(items: Sequence[str]) -> list[tuple[str, bool]]:
    out = []
    for name, value in _pairs(items, "settings.features").items():
        if value.lower() not in _SWITCH:
            raise InvalidField("settings.features", f"{name}: must be on or off; got {value!r}")
        out.append((name, _SWITCH[value.lower()]))
    return out


_DURATION: Final = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _duration(value: str | None, field: str) -> timedelta | None:
    if value is None:
        return None
    if m := _DURATION.match(value):
        return timedelta(seconds=int(m[1]) * _UNIT_SECONDS[m[2].lower()])
    try:
        return TypeAdapter(timedelta).validate_python(value)
    except ValidationError:
        raise InvalidField(field, "must be like 30m, 12h, 15d, 2w or ISO 8601 (P15D)") from None


def _moment(value: str, field: str) -> datetime:
    try:
        return TypeAdapter(datetime).validate_python(value)
    except ValidationError:
        raise InvalidField(field, "must be an ISO 8601 time, e.g. 2026-11-01T12:00:00Z") from None


def _limit(value: str) -> int | None:
    if value.lower() in ("off", "none", "unset"):
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidField(
            "max_allowed_users", "must be off, 0 (no limit) or a seat count"
        ) from None


# --- root ------------------------------------------------------------------------------------


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"tenantry {version('tenantry')}")
        raise typer.Exit()


@app.callback()
def _root(
    _: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """tenantry: an event-sourced organizations core.

    Every command takes --database-url (or $TENANTRY_DATABASE_URL; default the embedded
    sqlite:///tenantry.db) and --json. Exit codes: 0 ok, 1 unexpected error, 2 bad command line,
    3 invalid argument, 4 not found, 5 conflict, 6 failed precondition.
    """


# --- organizations ---------------------------------------------------------------------------


@operation(orgs_app, "create")
def orgs_create(
    t: Tenantry,
    display_name: Annotated[str, typer.Argument(help="The organization's name.")],
    external_id: ExternalIdOpt = None,
    slug: SlugOpt = None,
    logo_url: LogoUrlOpt = None,
    region: RegionOpt = None,
    metadata: MetadataOpt = None,
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.Organization:
    """Create an organization."""
    return t.create_organization(
        display_name,
        external_id=external_id,
        slug=slug,
        logo_url=logo_url,
        region_code=region,
        metadata=_pairs(metadata, "metadata"),
        actor=actor,
        reason=reason,
    )


@operation(orgs_app, "get")
def orgs_get(
    t: Tenantry,
    organization_id: Annotated[str | None, typer.Argument(help="org_… id.")] = None,
    external_id: Annotated[str | None, typer.Option(help="Find it by external id.")] = None,
) -> dto.Organization:
    """Show an organization, by id or by --external-id."""
    if (organization_id is None) == (external_id is None):
        raise InvalidField("organization_id", "give an organization id or --external-id")
    if external_id is not None:
        return t.get_organization_by_external_id(external_id)
    return t.get_organization(organization_id or "")


@operation(orgs_app, "update")
def orgs_update(
    t: Tenantry,
    organization_id: OrgArg,
    display_name: Annotated[str | None, typer.Option(help="New name.")] = None,
    external_id: Annotated[str | None, typer.Option(help='New external id ("" clears).')] = None,
    slug: Annotated[str | None, typer.Option(help='New slug ("" clears).')] = None,
    logo_url: Annotated[str | None, typer.Option(help='New logo URL ("" clears).')] = None,
    metadata: Annotated[
        list[str] | None,
        typer.Option("--metadata", "-m", help="KEY=VALUE: replaces all metadata; repeat."),
    ] = None,
    clear_metadata: Annotated[bool, typer.Option(help="Remove all metadata.")] = False,
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.Organization:
    """Change an organization's fields; only what you give changes."""
    if clear_metadata and metadata:
        raise InvalidField("metadata", "give --metadata or --clear-metadata, not both")
    md: Any = {} if clear_metadata else (_pairs(metadata, "metadata") if metadata else UNSET)
    return t.update_organization(
        organization_id,
        display_name=UNSET if display_name is None else display_name,
        external_id=UNSET if external_id is None else external_id,
        slug=UNSET if slug is None else slug,
        logo_url=UNSET if logo_url is None else logo_url,
        metadata=md,
        actor=actor,
        reason=reason,
    )


@operation(orgs_app, "delete", view=lambda d: f"deleted {d.organization_id}")
def orgs_delete(
    t: Tenantry, organization_id: OrgArg, actor: ActorOpt = "cli", reason: ReasonOpt = None
) -> Done:
    """Delete an organization (its external id and slug become free; its history stays)."""
    t.delete_organization(organization_id, actor=actor, reason=reason)
    return Done(action="deleted", organization_id=organization_id)


PageSizeOpt = Annotated[int | None, typer.Option(help="Items per page.", show_default=False)]
PageTokenOpt = Annotated[
    str | None,
    typer.Option(help="A next/prev page token from an earlier page.", show_default=False),
]


def _footer(total: int, shown: int, next_token: str, prev_token: str) -> Text:
    text = Text(f"{shown} of {total}", style="dim")
    if next_token:
        text.append(f"  next: --page-token {next_token}", style="dim")
    if prev_token:
        text.append(f"  previous: --page-token {prev_token}", style="dim")
    return text


def _org_page_view(page: pdto.OrganizationPage) -> RenderableType:
    table = Table()
    table.add_column("id", no_wrap=True)
    for column in ("display_name", "external_id", "slug", "region", "updated (UTC)"):
        table.add_column(column, overflow="fold")
    for o in page.organizations:
        table.add_row(
            o.id, o.display_name, _cell(o.external_id), _cell(o.slug), o.region_code,
            o.update_time.strftime("%Y-%m-%d %H:%M:%S"),
        )  # fmt: skip
    return Group(
        table,
        _footer(
            page.total_size,
            len(page.organizations),
            page.next_page_token,
            page.prev_page_token,
        ),
    )


@operation(orgs_app, "list", view=_org_page_view)
def orgs_list(
    t: Tenantry,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
    external_id: Annotated[str | None, typer.Option(help="Only this external id.")] = None,
    database_url: DatabaseUrlOpt = DEFAULT_DATABASE_URL,
) -> pdto.OrganizationPage:
    """List live organizations, oldest first (page size 10-100, default 30)."""
    with _caught_up(t, database_url, "organizations") as store:
        return store.list_organizations(
            page_size=page_size, page_token=page_token, external_id=external_id
        )


@operation(orgs_app, "search", view=_org_page_view)
def orgs_search(
    t: Tenantry,
    query: Annotated[str, typer.Argument(help="3-100 characters of a name, id or external id.")],
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
    database_url: DatabaseUrlOpt = DEFAULT_DATABASE_URL,
) -> pdto.OrganizationPage:
    """Search organizations by name, id or external id (case-insensitive)."""
    with _caught_up(t, database_url, "organizations") as store:
        return store.search_organizations(query, page_size=page_size, page_token=page_token)


# --- settings, seats, policies ---------------------------------------------------------------


@operation(settings_app, "features")
def settings_features(
    t: Tenantry,
    organization_id: OrgArg,
    switches: Annotated[list[str], typer.Argument(help="NAME=on|off, e.g. sso=on dir_sync=off.")],
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.Organization:
    """Turn features on or off (sso, dir_sync, domain_verification, session_policy)."""
    return t.update_organization_settings(
        organization_id, _switches(switches), actor=actor, reason=reason
    )


@operation(seats_app, "get")
def seats_get(t: Tenantry, organization_id: OrgArg) -> dto.UserManagementSettings:
    """Show the seat limit (max_allowed_users: — off, 0 no limit, n seats)."""
    return t.get_user_management_settings(organization_id)


@operation(seats_app, "set")
def seats_set(
    t: Tenantry,
    organization_id: OrgArg,
    limit: Annotated[str, typer.Argument(help="off, 0 (no limit) or the number of seats.")],
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.UserManagementSettings:
    """Set the seat limit (it may go below the seats in use: nobody is removed)."""
    return t.upsert_user_management_settings(
        organization_id, _limit(limit), actor=actor, reason=reason
    )


@operation(seats_app, "usage")
def seats_usage(
    t: Tenantry,
    organization_id: OrgArg,
    at: Annotated[str | None, typer.Option(help="At this time (ISO 8601); default now.")] = None,
) -> dto.SeatUsage:
    """Show the seats in use: active members and unexpired invitations."""
    return t.get_seat_usage(organization_id, at=None if at is None else _moment(at, "at"))


@operation(session_app, "get")
def session_get(t: Tenantry, organization_id: OrgArg) -> dto.SessionPolicyView:
    """Show the session policy."""
    return t.get_session_policy(organization_id)


@operation(session_app, "set")
def session_set(
    t: Tenantry,
    organization_id: OrgArg,
    source: Annotated[str, typer.Option(help="APPLICATION (inherit) or CUSTOM.")] = "CUSTOM",
    absolute: Annotated[int | None, typer.Option(help="Absolute session timeout.")] = None,
    absolute_unit: Annotated[str | None, typer.Option(help="MINUTES, HOURS or DAYS.")] = None,
    idle: Annotated[int | None, typer.Option(help="Idle timeout (enables it).")] = None,
    idle_unit: Annotated[str | None, typer.Option(help="MINUTES, HOURS or DAYS.")] = None,
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.SessionPolicyView:
    """Set the session policy, e.g. --absolute 12 --absolute-unit HOURS --idle 30 --idle-unit
    MINUTES; --source APPLICATION inherits the application's."""
    policy: dict[str, Any] = {"policy_source": source.upper()}
    if absolute is not None:
        policy["absolute_session_timeout"] = absolute
    if absolute_unit is not None:
        policy["absolute_session_timeout_unit"] = absolute_unit.upper()
    if idle is not None:
        policy.update(idle_session_timeout_enabled=True, idle_session_timeout=idle)
    if idle_unit is not None:
        policy["idle_session_timeout_unit"] = idle_unit.upper()
    return t.update_session_policy(organization_id, policy, actor=actor, reason=reason)


@operation(sign_in_app, "get")
def sign_in_get(t: Tenantry, organization_id: OrgArg) -> dto.SignInMethods:
    """Show the allowed sign-in methods (— means the application's default)."""
    return t.get_allowed_sign_in_methods(organization_id)


@operation(sign_in_app, "set")
def sign_in_set(
    t: Tenantry,
    organization_id: OrgArg,
    methods: Annotated[
        list[str] | None,
        typer.Argument(help="sso, password, magic_link, email_otp, passkey, social."),
    ] = None,
    inherit: Annotated[bool, typer.Option(help="Use the application's default.")] = False,
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.SignInMethods:
    """Restrict how members sign in, e.g. `sso passkey`; --inherit to reset."""
    if inherit and methods:
        raise InvalidField("allowed_sign_in_methods", "give methods or --inherit, not both")
    return t.set_allowed_sign_in_methods(
        organization_id, None if inherit else (methods or []), actor=actor, reason=reason
    )


# --- members ---------------------------------------------------------------------------------


@operation(members_app, "invite")
def members_invite(
    t: Tenantry,
    organization_id: OrgArg,
    email: Annotated[str, typer.Argument(help="Who to invite.")],
    role: RolesOpt = None,
    metadata: MetadataOpt = None,
    inviter_email: Annotated[str | None, typer.Option(help="Who invites.")] = None,
    expires_in: ExpiresInOpt = None,
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Invite someone: a pending membership that holds a seat until it expires."""
    return t.invite_member(
        organization_id,
        email,
        roles=role,
        metadata=_pairs(metadata, "membership.metadata"),
        inviter_email=inviter_email,
        expires_in=_duration(expires_in, "expires_in"),
        actor=actor,
        reason=reason,
    )


@operation(members_app, "add")
def members_add(
    t: Tenantry,
    organization_id: OrgArg,
    email: Annotated[str, typer.Argument(help="Who to add.")],
    role: RolesOpt = None,
    metadata: MetadataOpt = None,
    provisioning_method: Annotated[
        str, typer.Option(help="direct_provision, jit_using_sso or allowed_email_domain.")
    ] = "direct_provision",
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Make someone an active member at once (direct, SCIM or JIT provisioning)."""
    return t.add_member(
        organization_id,
        email,
        roles=role,
        metadata=_pairs(metadata, "membership.metadata"),
        provisioning_method=provisioning_method,
        actor=actor,
        reason=reason,
    )


@operation(members_app, "accept")
def members_accept(
    t: Tenantry,
    organization_id: OrgArg,
    user: UserArg,
    actor: Annotated[str | None, typer.Option(help="Who accepts (default: the invitee).")] = None,
) -> dto.Membership:
    """Accept a still-valid invitation (takes no new seat)."""
    return t.accept_invitation(organization_id, user, actor=actor)


@operation(members_app, "resend")
def members_resend(
    t: Tenantry,
    organization_id: OrgArg,
    user: UserArg,
    expires_in: ExpiresInOpt = None,
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Resend an invitation: a pending one is extended, an expired one replaced (needs a seat)."""
    return t.resend_invitation(
        organization_id,
        user,
        expires_in=_duration(expires_in, "expires_in"),
        actor=actor,
        reason=reason,
    )


def _done_view(d: Done) -> str:
    return f"{d.action} {d.user} in {d.organization_id}"


@operation(members_app, "roles")
def members_roles(
    t: Tenantry,
    organization_id: OrgArg,
    user: UserArg,
    roles: Annotated[list[str], typer.Argument(help="The member's roles from now on.")],
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Replace a member's roles."""
    return t.update_member_roles(organization_id, user, roles, actor=actor, reason=reason)


@operation(members_app, "metadata")
def members_metadata(
    t: Tenantry,
    organization_id: OrgArg,
    user: UserArg,
    pairs: Annotated[
        list[str] | None, typer.Argument(help="KEY=VALUE pairs (none clears).")
    ] = None,
    actor: ActorOpt = "cli",
    reason: ReasonOpt = None,
) -> dto.Membership:
    """Replace a member's metadata."""
    return t.update_member_metadata(
        organization_id, user, _pairs(pairs, "membership.metadata"), actor=actor, reason=reason
    )


def _member_transition(
    name: str, method: Callable[..., dto.Membership | None], doc: str, done: str | None = None
) -> None:
    """Registers ``members NAME ORG USER``: one membership transition, with actor and reason."""

    def command(
        t: Tenantry,
        organization_id: OrgArg,
        user: UserArg,
        actor: ActorOpt = "cli",
        reason: ReasonOpt = None,
    ) -> dto.Membership | Done | None:
        result = method(t, organization_id, user, actor=actor, reason=reason)
        if done is None:
            return result
        return Done(action=done, organization_id=organization_id, user=user)

    command.__doc__ = doc
    operation(members_app, name, view=None if done is None else _done_view)(command)


_member_transition(
    "revoke", Tenantry.revoke_invitation, "Revoke a pending invitation (its seat is freed).",
    done="revoked",
)  # fmt: skip
_member_transition(
    "remove", Tenantry.remove_member,
    "Remove a member or withdraw an invitation (the seat is freed).", done="removed",
)  # fmt: skip
_member_transition(
    "deactivate", Tenantry.deactivate_member,
    "Suspend an active member (INACTIVE; the seat is freed).",
)  # fmt: skip
_member_transition(
    "reactivate", Tenantry.reactivate_member,
    "Make an inactive member active again (needs a free seat).",
)  # fmt: skip


@operation(members_app, "get")
def members_get(t: Tenantry, organization_id: OrgArg, user: UserArg) -> dto.Membership:
    """Show one membership with its invitation."""
    return t.get_membership(organization_id, user)


def _member_page_view(page: pdto.MemberPage) -> RenderableType:
    table = Table()
    table.add_column("user_id", no_wrap=True)
    for column in ("email", "status", "roles", "joined / expires (UTC)"):
        table.add_column(column, overflow="fold")
    for m in page.members:
        when = m.join_time or m.expires_at
        table.add_row(
            m.user_id, m.email, m.status, ", ".join(m.roles),
            when.strftime("%Y-%m-%d %H:%M") if when else "—",
        )  # fmt: skip
    return Group(
        table,
        _footer(page.total_size, len(page.members), page.next_page_token, page.prev_page_token),
    )


@operation(members_app, "list", view=_member_page_view)
def members_list(
    t: Tenantry,
    organization_id: OrgArg,
    status: Annotated[
        str | None,
        typer.Option(
            help="ACTIVE, INACTIVE, PENDING_INVITE or INVITE_EXPIRED.", show_default=False
        ),
    ] = None,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
    database_url: DatabaseUrlOpt = DEFAULT_DATABASE_URL,
) -> pdto.MemberPage:
    """List an organization's members and invitations (page size 1-100, default 30)."""
    with _caught_up(t, database_url, "memberships") as store:
        return store.list_members(
            organization_id, status=status, page_size=page_size, page_token=page_token
        )


@operation(users_app, "get")
def users_get(t: Tenantry, user: UserArg) -> UserView:
    """Show a user, by id or e-mail."""
    user_id, email = t.get_user(user)
    return UserView(id=user_id, email=email)


@operation(app, "signup")
def signup(
    t: Tenantry,
    email: Annotated[str, typer.Argument(help="The first admin's e-mail.")],
    display_name: Annotated[str, typer.Argument(help="The new organization's name.")],
    external_id: ExternalIdOpt = None,
    slug: SlugOpt = None,
    logo_url: LogoUrlOpt = None,
    region: RegionOpt = None,
    metadata: MetadataOpt = None,
    reason: ReasonOpt = None,
) -> dto.SignUp:
    """Sign-up: create an organization with EMAIL as its first active admin, atomically."""
    return t.sign_up(
        email,
        display_name,
        external_id=external_id,
        slug=slug,
        logo_url=logo_url,
        region_code=region,
        metadata=_pairs(metadata, "metadata"),
        reason=reason,
    )


@operation(app, "sweep")
def sweep(
    t: Tenantry,
    organization_id: Annotated[str | None, typer.Argument(help="One org (default: all).")] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Invitations per transaction.")] = 200,
    actor: ActorOpt = "expiry-sweep",
) -> dto.ExpirySweep:
    """Record InvitationExpired for every invitation whose time has passed."""
    with _progress("expiring invitations") as advance:
        return t.expire_invitations(
            organization_id, batch_size=batch_size, actor=actor, progress=advance
        )


# --- audit history ---------------------------------------------------------------------------


def _changes(h: dto.HistoryEntry) -> Iterator[str]:
    """A history entry's readable diff: what a creation set, else each field's before → after
    (a map field shows only its changed keys)."""
    if h.version == 1:
        for key, value in h.data.items():
            if value not in (None, {}, []):
                yield f"{key} = {_cell(value)}"
        return
    if "email" in h.data:
        yield f"member {h.data['email']}"
    for c in h.changes:
        if isinstance(c.before, dict | None) and isinstance(c.after, dict):
            before = c.before or {}
            for key in dict.fromkeys([*before, *c.after]):
                if before.get(key) != c.after.get(key):
                    yield f"{c.field}.{key}: {_cell(before.get(key))} → {_cell(c.after.get(key))}"
        else:
            yield f"{c.field}: {_cell(c.before)} → {_cell(c.after)}"


def _history_view(entries: list[dto.HistoryEntry]) -> Table:
    table = Table(title=f"{len(entries)} events", title_justify="left")
    table.add_column("v", justify="right", no_wrap=True)
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("event", no_wrap=True)
    table.add_column("actor / reason", overflow="fold")
    table.add_column("changes", overflow="fold", ratio=1)
    for h in entries:
        who = h.actor + (f"\n[dim]{h.reason}[/]" if h.reason else "")
        table.add_row(
            str(h.version),
            h.timestamp.strftime("%m-%d %H:%M:%S"),
            h.event,
            who,
            "\n".join(_changes(h)),
        )
    return table


@operation(app, "history", view=_history_view)
def history(
    t: Tenantry,
    organization_id: OrgArg,
    from_version: Annotated[int, typer.Option(help="Start at this version.")] = 1,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many events.")] = None,
) -> list[dto.HistoryEntry]:
    """Every event of an organization: who, when, and what it changed."""
    return t.list_history(organization_id, from_version=from_version, limit=limit)


@operation(app, "show")
def show(
    t: Tenantry,
    organization_id: OrgArg,
    as_of: Annotated[str | None, typer.Option(help="A moment (ISO 8601, UTC).")] = None,
    version: Annotated[int | None, typer.Option(help="A version of its history.")] = None,
) -> dto.Organization:
    """Show an organization as it was at a moment (--as-of) or a version (--version)."""
    at = None if as_of is None else _moment(as_of, "as_of")
    return t.get_organization_as_of(organization_id, version=version, at=at)


def _resolve(entries: list[dto.HistoryEntry], value: str, field: str, org: str) -> int:
    """A version given as a number or as a moment (the last version recorded by then)."""
    if value.strip().isdigit():
        version = int(value)
        if not 1 <= version <= entries[-1].version:
            raise VersionNotFound(org, f"version {version}")
        return version
    moment = _moment(value, field)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=entries[0].timestamp.tzinfo)
    recorded = [h.version for h in entries if h.timestamp <= moment]
    if not recorded:
        raise VersionNotFound(org, moment.isoformat())
    return recorded[-1]


def _diff_view(d: OrganizationDiff) -> RenderableType:
    title = f"{d.organization_id}: version {d.from_version} → {d.to_version}"
    if not d.changes:
        return Text(f"{title}: no changes")
    table = Table(title=title)
    for column in ("field", "before", "after"):
        table.add_column(column, overflow="fold")
    for c in d.changes:
        table.add_row(c.field, _cell(c.before), _cell(c.after))
    return table


@operation(app, "diff", view=_diff_view)
def diff(
    t: Tenantry,
    organization_id: OrgArg,
    from_: Annotated[str, typer.Option("--from", help="A version number or an ISO 8601 time.")],
    to: Annotated[str | None, typer.Option(help="Version or time (default: now).")] = None,
) -> OrganizationDiff:
    """What changed in an organization between two versions or moments."""
    entries = t.list_history(organization_id)
    start = _resolve(entries, from_, "from", organization_id)
    end = entries[-1].version if to is None else _resolve(entries, to, "to", organization_id)
    if start > end:
        raise InvalidField("from", f"version {start} is after version {end} (--to)")
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    for h in entries:
        if start < h.version <= end:
            for c in h.changes:
                first.setdefault(c.field, c.before)
                last[c.field] = c.after
    changes = [
        dto.FieldChange(field=k, before=first[k], after=last[k])
        for k in first
        if first[k] != last[k]
    ]
    return OrganizationDiff(
        organization_id=organization_id, from_version=start, to_version=end, changes=changes
    )


# --- export and import -----------------------------------------------------------------------


@operation(app, "export")
def export(
    t: Tenantry,
    organization_id: OrgArg,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Write an organization's full history (with its memberships' and users') as JSON lines.
    The summary goes to stdout with -o, else to stderr."""
    with _progress("exporting events") as advance:
        records, summary = transfer.export_organization(t, organization_id, progress=advance)
    lines = "".join(transfer.dump_line(r) + "\n" for r in records)
    if output is None:
        sys.stdout.write(lines)
        sys.stdout.flush()
    else:
        output.write_text(lines, encoding="utf-8")
    _emit(summary, as_json=json_output, err=output is None)


@operation(app, "import")
def import_(
    t: Tenantry,
    path: Annotated[str, typer.Argument(help="An export file (- for stdin).", metavar="FILE")],
    actor: ActorOpt = "cli",
) -> transfer.TransferSummary:
    """Replay an export into this database with its ids, in one transaction. Refused if the
    organization is here already, or its external id or slug is held by a live organization."""
    if path == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise InvalidField("FILE", f"cannot read {path}: {e.strerror}") from None
    with _progress("importing events", total=len(lines)) as advance:
        records = transfer.parse_lines(lines, progress=advance)
        return transfer.import_organization(t, records, actor=actor)


# --- demo ------------------------------------------------------------------------------------


@app.command()
def demo(database_url: DatabaseUrlOpt = DEFAULT_DATABASE_URL, debug: DebugOpt = False) -> None:
    """A guided walk-through on the embedded SQLite default."""
    with _reporting(debug=debug, as_json=False):
        t = connect(database_url)
        try:
            _demo(t, database_url)
        finally:
            t.close()


def _demo(t: Tenantry, database_url: str) -> None:
    who = "admin@vendor.example"
    console.rule("[bold]tenantry demo")
    console.print(f"database: {database_url}\n")
    console.print("[bold]1. Organizations[/] — every change is an event")
    acme = t.create_organization("Acme Corp", metadata={"plan": "enterprise"}, actor=who)
    globex = t.create_organization("Globex", actor=who)
    console.print(f"  created [cyan]{acme.display_name}[/] {acme.id}")
    console.print(f"  created [cyan]{globex.display_name}[/] {globex.id}")
    t.update_organization_settings(acme.id, [("sso", True)], actor=who)
    console.print("  turned on SSO for Acme")

    console.print("\n[bold]2. A seat limit[/] — pending invitations hold seats")
    t.upsert_user_management_settings(acme.id, 3, actor=who, reason="starter plan")
    console.print("  Acme may have [bold]3[/] seats")
    invited = []
    for name in ("ada", "grace", "linus", "barbara"):
        email = f"{name}@acme.example"
        try:
            t.invite_member(acme.id, email, actor="it@acme.example")
            invited.append(email)
            console.print(f"  invited {email}")
        except SeatLimitReached as e:
            console.print(f"  [red]refused[/] {email}: [bold]{e.code}[/] ({e.message})")
    t.accept_invitation(acme.id, invited[0])
    usage = t.get_seat_usage(acme.id)
    console.print(
        f"  {invited[0]} accepted — seats in use {usage.seats_in_use}/{usage.max_allowed_users} "
        "(accepting takes no new seat)"
    )
    renamed = t.update_organization(
        acme.id, display_name="Acme Corporation", actor="it@acme.example", reason="legal name"
    )

    console.print("\n[bold]3. The audit history[/] — who changed what, when")
    console.print(_history_view(t.list_history(acme.id)))

    console.print("\n[bold]4. Time travel[/] — any past state, rebuilt from the events")
    then = t.get_organization_as_of(acme.id, version=1)
    before_rename = t.get_organization_as_of(acme.id, at=renamed.update_time - timedelta(0, 0, 1))
    console.print(f"  version 1: [cyan]{then.display_name!r}[/], sso={_sso(then)}")
    console.print(
        f"  just before the rename ({before_rename.update_time:%H:%M:%S.%f}): "
        f"[cyan]{before_rename.display_name!r}[/], sso={_sso(before_rename)}"
    )
    console.print(f"  now (version {renamed.version}): [cyan]{renamed.display_name!r}[/]")

    console.print("\n[bold]5. Read models[/] — projections rebuilt from the whole log")
    store = ProjectionStore(t)
    try:
        with _bar(store.head(), console_=console, always=True) as bar:
            store.rebuild("organizations", progress=_tracker(bar, "rebuild organizations"))
        page = store.list_organizations(external_id=None, min_position=store.head())
        found = store.search_organizations("acme", min_position=store.head())
        console.print(
            f"  {page.total_size} organizations in the read model; "
            f"searching 'acme' finds {found.total_size}"
        )
    finally:
        store.close()
    console.print(
        Group(
            Text("\nTry next:", style="bold"),
            Text(f"  tenantry history {acme.id}"),
            Text(f"  tenantry show {acme.id} --version 1"),
            Text(f"  tenantry diff {acme.id} --from 1"),
            Text(f"  tenantry export {acme.id} > acme.jsonl"),
            Text("  tenantry orgs list"),
        )
    )


def _sso(org: dto.Organization) -> str:
    return next(("on" if f.enabled else "off") for f in org.settings.features if f.name == "sso")


def main() -> None:
    app()
