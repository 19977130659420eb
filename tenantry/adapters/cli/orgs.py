"""``tenantry signup | orgs | settings | seats | session-policy | sign-in-methods``: an
organization (created alone or by sign-up with its first admin), its settings and its
policies."""

from typing import Annotated, Any, TypedDict

import typer
from rich.console import Group, RenderableType
from rich.table import Table

from tenantry.adapters.cli import parsing
from tenantry.adapters.cli.operation import Done, operation
from tenantry.adapters.cli.options import (
    CLI_ACTOR,
    ActorOpt,
    ExternalIdOpt,
    LogoUrlOpt,
    MetadataOpt,
    OnBehalfOfOpt,
    OrgArg,
    PageSizeOpt,
    PageTokenOpt,
    ReasonOpt,
    RegionOpt,
    SlugOpt,
)
from tenantry.adapters.cli.progress import caught_up
from tenantry.adapters.cli.rendering import cell, footer
from tenantry.application import dto
from tenantry.application.app import UNSET, Tenantry
from tenantry.domain.errors import InvalidField
from tenantry.projections import dto as pdto

orgs_app = typer.Typer(help="Organizations: create, get, update, delete.", no_args_is_help=True)
settings_app = typer.Typer(help="Organization settings (feature toggles).", no_args_is_help=True)
seats_app = typer.Typer(help="The seat limit and seat usage.", no_args_is_help=True)
session_app = typer.Typer(help="The organization's session policy.", no_args_is_help=True)
sign_in_app = typer.Typer(help="Allowed sign-in methods.", no_args_is_help=True)
commands = typer.Typer()
"""``signup``, a top-level command."""


class _NewOrganization(TypedDict):
    """The optional fields of a new organization, as create and sign-up both take them."""

    external_id: str | None
    slug: str | None
    logo_url: str | None
    region_code: str | None
    metadata: dict[str, str]


def _new_organization(
    external_id: str | None,
    slug: str | None,
    logo_url: str | None,
    region: str | None,
    metadata: list[str] | None,
) -> _NewOrganization:
    return _NewOrganization(
        external_id=external_id,
        slug=slug,
        logo_url=logo_url,
        region_code=region,
        metadata=parsing.pairs(metadata, "metadata"),
    )


@operation(orgs_app, "create")
def orgs_create(
    t: Tenantry,
    display_name: Annotated[str, typer.Argument(help="The organization's name.")],
    external_id: ExternalIdOpt = None,
    slug: SlugOpt = None,
    logo_url: LogoUrlOpt = None,
    region: RegionOpt = None,
    metadata: MetadataOpt = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Organization:
    """Create an organization."""
    fields = _new_organization(external_id, slug, logo_url, region, metadata)
    return t.create_organization(
        display_name, **fields, actor=actor, reason=reason, on_behalf_of=on_behalf_of
    )


@operation(commands, "signup")
def signup(
    t: Tenantry,
    email: Annotated[str, typer.Argument(help="The first admin's e-mail.")],
    display_name: Annotated[str, typer.Argument(help="The new organization's name.")],
    external_id: ExternalIdOpt = None,
    slug: SlugOpt = None,
    logo_url: LogoUrlOpt = None,
    region: RegionOpt = None,
    metadata: MetadataOpt = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.SignUp:
    """Sign-up: create an organization with EMAIL as its first active admin, atomically."""
    fields = _new_organization(external_id, slug, logo_url, region, metadata)
    return t.sign_up(
        email, display_name, **fields, actor=actor, reason=reason, on_behalf_of=on_behalf_of
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
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Organization:
    """Change an organization's fields; only what you give changes."""
    if clear_metadata and metadata:
        raise InvalidField("metadata", "give --metadata or --clear-metadata, not both")
    md: Any = {} if clear_metadata else (parsing.pairs(metadata, "metadata") if metadata else UNSET)
    return t.update_organization(
        organization_id,
        display_name=UNSET if display_name is None else display_name,
        external_id=UNSET if external_id is None else external_id,
        slug=UNSET if slug is None else slug,
        logo_url=UNSET if logo_url is None else logo_url,
        metadata=md,
        actor=actor,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )


@operation(orgs_app, "delete", view=lambda d: f"deleted {d.organization_id}")
def orgs_delete(
    t: Tenantry,
    organization_id: OrgArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Done:
    """Delete an organization (its external id and slug become free; its history stays)."""
    t.delete_organization(organization_id, actor=actor, reason=reason, on_behalf_of=on_behalf_of)
    return Done(action="deleted", organization_id=organization_id)


def _org_page_view(page: pdto.OrganizationPage) -> RenderableType:
    table = Table()
    table.add_column("id", no_wrap=True)
    for column in ("display_name", "external_id", "slug", "region", "updated (UTC)"):
        table.add_column(column, overflow="fold")
    for o in page.organizations:
        table.add_row(
            o.id, o.display_name, cell(o.external_id), cell(o.slug), o.region_code,
            o.update_time.strftime("%Y-%m-%d %H:%M:%S"),
        )  # fmt: skip
    return Group(
        table,
        footer(
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
) -> pdto.OrganizationPage:
    """List live organizations, oldest first (page size 10-100, default 30)."""
    with caught_up(t, "organizations") as store:
        return store.list_organizations(
            page_size=page_size, page_token=page_token, external_id=external_id
        )


@operation(orgs_app, "search", view=_org_page_view)
def orgs_search(
    t: Tenantry,
    query: Annotated[str, typer.Argument(help="3-100 characters of a name, id or external id.")],
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
) -> pdto.OrganizationPage:
    """Search organizations by name, id or external id (case-insensitive)."""
    with caught_up(t, "organizations") as store:
        return store.search_organizations(query, page_size=page_size, page_token=page_token)


# --- settings, seats, policies ---------------------------------------------------------------


@operation(settings_app, "features")
def settings_features(
    t: Tenantry,
    organization_id: OrgArg,
    switches: Annotated[list[str], typer.Argument(help="NAME=on|off, e.g. sso=on dir_sync=off.")],
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.Organization:
    """Turn features on or off (sso, dir_sync, domain_verification, session_policy)."""
    return t.update_organization_settings(
        organization_id,
        parsing.switches(switches),
        actor=actor,
        reason=reason,
        on_behalf_of=on_behalf_of,
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
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.UserManagementSettings:
    """Set the seat limit (it may go below the seats in use: nobody is removed)."""
    return t.upsert_user_management_settings(
        organization_id, parsing.limit(limit), actor=actor, reason=reason, on_behalf_of=on_behalf_of
    )


@operation(seats_app, "usage")
def seats_usage(
    t: Tenantry,
    organization_id: OrgArg,
    at: Annotated[str | None, typer.Option(help="At this time (ISO 8601); default now.")] = None,
) -> dto.SeatUsage:
    """Show the seats in use: active members and unexpired invitations."""
    return t.get_seat_usage(organization_id, at=None if at is None else parsing.moment(at, "at"))


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
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
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
    return t.update_session_policy(
        organization_id, policy, actor=actor, reason=reason, on_behalf_of=on_behalf_of
    )


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
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.SignInMethods:
    """Restrict how members sign in, e.g. `sso passkey`; --inherit to reset."""
    if inherit and methods:
        raise InvalidField("allowed_sign_in_methods", "give methods or --inherit, not both")
    return t.set_allowed_sign_in_methods(
        organization_id,
        None if inherit else (methods or []),
        actor=actor,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )
