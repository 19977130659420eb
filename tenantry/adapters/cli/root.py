"""The root ``tenantry`` command: the top-level options and every command group, in the order
``tenantry --help`` lists them."""

from typing import Annotated

import typer

from tenantry.adapters.cli import (
    clients,
    demo,
    dev_cert,
    history,
    keys,
    members,
    orgs,
    projections,
    roles,
    server,
    transfer,
    users,
)
from tenantry.adapters.cli import restore as restore  # registers `orgs restore`, `orgs purge`
from tenantry.adapters.cli.connections import connections_app
from tenantry.adapters.cli.dashboard import dashboard_app
from tenantry.adapters.cli.directories import directories_app
from tenantry.adapters.cli.domains import domains_app
from tenantry.adapters.cli.portal import portal_app

app = typer.Typer(
    help="tenantry: an event-sourced organizations core.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # errors are reported by reporting(); --debug re-raises
    rich_markup_mode="rich",
)
# A group added without a name lends the root its commands: these are top-level commands.
app.add_typer(server.commands)
app.add_typer(orgs.commands)
app.add_typer(members.commands)
app.add_typer(history.commands)
app.add_typer(transfer.commands)
app.add_typer(demo.commands)
app.add_typer(dev_cert.commands)
app.add_typer(orgs.orgs_app, name="orgs")
app.add_typer(orgs.settings_app, name="settings")
app.add_typer(orgs.seats_app, name="seats")
app.add_typer(orgs.session_app, name="session-policy")
app.add_typer(orgs.sign_in_app, name="sign-in-methods")
app.add_typer(members.members_app, name="members")
app.add_typer(users.users_app, name="users")  # members.users_app, with users.py's commands
app.add_typer(projections.projections_app, name="projections")
app.add_typer(clients.clients_app, name="clients")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(history.audit_app, name="audit")
app.add_typer(roles.roles_app, name="roles")
app.add_typer(connections_app, name="connections")
app.add_typer(domains_app, name="domains")
app.add_typer(directories_app, name="directories")
app.add_typer(portal_app, name="portal")
app.add_typer(dashboard_app, name="dashboard")


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

    Every command takes --database-url/-d (or $TENANTRY_DATABASE_URL; default the embedded
    sqlite:///tenantry.db) and --json (one JSON document on stdout). Exit codes: 0 ok,
    1 unexpected error, 2 bad command line, 3 invalid argument, 4 not found, 5 conflict,
    6 failed precondition.
    """


def main() -> None:
    app()
