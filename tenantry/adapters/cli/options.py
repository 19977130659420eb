"""The options and arguments that many commands share, so each reads and helps the same."""

import getpass
import os
from typing import Annotated, Final

import typer

from tenantry.adapters.database import DATABASE_URL_ENV

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


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a bare container)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


os_user = _os_user
"""The operating-system user running the command (the CLI's default operator and actor)."""
CLI_ACTOR: Final = f"cli:{_os_user()}"
"""Who a command's events name by default: ``cli:`` and the operating-system user."""
ActorOpt = Annotated[
    str,
    typer.Option(
        envvar="TENANTRY_ACTOR",
        help="Who makes the change (recorded in the history; default cli:<OS user>).",
    ),
]
OnBehalfOfOpt = Annotated[
    str | None,
    typer.Option(
        envvar="TENANTRY_ON_BEHALF_OF",
        help="The end user the change is made for (recorded beside the actor).",
        show_default=False,
    ),
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

PageSizeOpt = Annotated[int | None, typer.Option(help="Items per page.", show_default=False)]
PageTokenOpt = Annotated[
    str | None,
    typer.Option(help="A next/prev page token from an earlier page.", show_default=False),
]
