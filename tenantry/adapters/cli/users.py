"""``tenantry users``: read, list, search, change and delete users, and read their history.
(The group itself is :data:`tenantry.adapters.cli.members.users_app`.)"""

from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict

from tenantry.adapters.cli import parsing
from tenantry.adapters.cli.members import users_app as users_app
from tenantry.adapters.cli.operation import operation
from tenantry.adapters.cli.options import (
    CLI_ACTOR,
    ActorOpt,
    MetadataOpt,
    OnBehalfOfOpt,
    PageSizeOpt,
    PageTokenOpt,
    ReasonOpt,
    UserArg,
)
from tenantry.adapters.cli.progress import caught_up
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.application.kernel import UNSET
from tenantry.projections.user_pages import UserPage


class UserHistory(BaseModel):
    """A user's history, as ``--json`` prints it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entries: list[dto.UserHistoryEntry]


@operation(users_app, "list")
def users_list(
    t: Tenantry,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
    external_id: Annotated[
        str | None, typer.Option(help="Only the user with this external id.", show_default=False)
    ] = None,
) -> UserPage:
    """List users, oldest first (page size 1-100, default 30)."""
    with caught_up(t, "users") as store:
        return store.list_users(page_size=page_size, page_token=page_token, external_id=external_id)


@operation(users_app, "search")
def users_search(
    t: Tenantry,
    query: Annotated[str, typer.Argument(help="3-100 characters of an e-mail, id or external id.")],
    organization_id: Annotated[
        str | None, typer.Option("--org", help="Only this organization's members.")
    ] = None,
    page_size: PageSizeOpt = None,
    page_token: PageTokenOpt = None,
) -> UserPage:
    """Search users, case-insensitively (page size 1-30, default 30)."""
    with caught_up(t, "users", "memberships") as store:
        return store.search_users(
            query, organization_id=organization_id, page_size=page_size, page_token=page_token
        )


@operation(users_app, "update")
def users_update(
    t: Tenantry,
    user: UserArg,
    external_id: Annotated[
        str | None,
        typer.Option(help='Your id for the user ("" clears it).', show_default=False),
    ] = None,
    metadata: MetadataOpt = None,
    profile: Annotated[
        list[str] | None,
        typer.Option(
            "--profile",
            help="FIELD=VALUE of given_name, family_name, name, locale, phone_number, picture "
            "(an empty VALUE clears it); repeat for more.",
            show_default=False,
        ),
    ] = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.User:
    """Change a user's external id, metadata (replaced whole) or profile fields."""
    return t.update_user(
        user,
        external_id=UNSET if external_id is None else external_id,
        metadata=UNSET if metadata is None else parsing.pairs(metadata, "metadata"),
        user_profile=UNSET if profile is None else parsing.pairs(profile, "user_profile"),
        actor=actor,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )


@operation(users_app, "delete")
def users_delete(
    t: Tenantry,
    user: UserArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> dto.UserDeletion:
    """Delete a user: every membership of theirs is removed (seats freed), then the user."""
    return t.delete_user(user, actor=actor, reason=reason, on_behalf_of=on_behalf_of)


@operation(users_app, "history")
def users_history(t: Tenantry, user: UserArg) -> UserHistory:
    """Every event of a user and of their memberships, oldest first."""
    return UserHistory(entries=t.list_user_history(user))
