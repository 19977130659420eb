"""``tenantry connections …``: an organization's SSO connections — create, list, get, configure
(``saml``, ``oidc``, ``mapping``), enable, disable, delete, start a test login (``test``: its
link) or record a test's outcome, the SP's SAML metadata, the hosted sign-in URL
(``authorize-url``) — and home-realm discovery (``discover``).

The OIDC client secret is read from a file (``-`` for standard input), never from the command
line, where shell history and the process list would keep it; it is encrypted with
``$TENANTRY_SSO_SECRET_KEY``. ``$TENANTRY_SSO_BASE_URL`` is the base of the SP's URLs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict
from rich.text import Text

from tenantry.adapters.cli import parsing
from tenantry.adapters.cli.operation import application, operation
from tenantry.adapters.cli.options import CLI_ACTOR, ActorOpt, OnBehalfOfOpt, OrgArg, ReasonOpt
from tenantry.adapters.sign_in.links import authorize_url, connection_test_url
from tenantry.adapters.sign_in.pending import TEST_TICKET_AGE, TestTicket
from tenantry.application.app import Tenantry
from tenantry.application.connection_dto import Connection
from tenantry.application.sso_config import SsoConfig
from tenantry.domain import values
from tenantry.domain.errors import InvalidField
from tenantry.domain.sign_in_errors import RedirectUriNotAllowed

connections_app = typer.Typer(
    help="SSO connections of an organization (SAML or OIDC).", no_args_is_help=True
)

ConnArg = Annotated[str, typer.Argument(help="The connection's id (conn_…).", show_default=False)]
FileOpt = Annotated[Path | None, typer.Option(show_default=False, dir_okay=False)]


class Link(BaseModel):
    """A URL to open in a browser (within ``expires_in`` seconds, when it expires)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    expires_in: int | None = None


class Deleted(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    organization_id: str
    id: str


@contextmanager
def sso_application(database_url: str) -> Iterator[Tenantry]:
    """The application, with the SSO settings of the environment."""
    with application(database_url) as t:
        t.sso_config = SsoConfig.from_env(os.environ)
        yield t


def _read(path: Path, field: str) -> str:
    try:
        return sys.stdin.read() if str(path) == "-" else path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidField(field, f"cannot be read: {e.__class__.__name__}") from None


@operation(connections_app, "create", opens=sso_application)
def create(
    t: Tenantry,
    organization_id: OrgArg,
    type: Annotated[str, typer.Option("--type", help="SAML or OIDC.")],
    provider: Annotated[str, typer.Option(help="OKTA, GOOGLE, MICROSOFT_AD, …")] = "CUSTOM",
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Connection:
    """Create a connection (disabled until it is configured and enabled)."""
    return t.create_connection(
        organization_id, type, provider, actor=actor, on_behalf_of=on_behalf_of, reason=reason
    )


@operation(connections_app, "list", opens=sso_application)
def list_(t: Tenantry, organization_id: OrgArg) -> list[Connection]:
    """List the organization's connections."""
    return t.list_connections(organization_id)


@operation(connections_app, "get", opens=sso_application)
def get(t: Tenantry, organization_id: OrgArg, connection_id: ConnArg) -> Connection:
    """Show a connection (never its client secret)."""
    return t.get_connection(organization_id, connection_id)


@operation(connections_app, "saml", opens=sso_application)
def saml(
    t: Tenantry,
    organization_id: OrgArg,
    connection_id: ConnArg,
    idp_entity_id: Annotated[str | None, typer.Option(show_default=False)] = None,
    sso_url: Annotated[str | None, typer.Option(show_default=False)] = None,
    certificate: Annotated[
        list[Path] | None,
        typer.Option(help="A PEM signing certificate file; repeat for more.", show_default=False),
    ] = None,
    metadata: FileOpt = None,
    idp_initiated: Annotated[
        bool | None, typer.Option("--idp-initiated/--no-idp-initiated", show_default=False)
    ] = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Connection:
    """Configure a SAML connection: the IdP's entity ID, SSO URL and certificates, or its
    --metadata XML file."""
    certificates = None
    if certificate is not None:
        certificates = [_read(p, "saml.certificates") for p in certificate]
    return t.configure_saml_connection(
        organization_id,
        connection_id,
        idp_entity_id=idp_entity_id,
        sso_url=sso_url,
        certificates=certificates,
        metadata_xml=None if metadata is None else _read(metadata, "saml.metadata_xml"),
        idp_initiated_login=idp_initiated,
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
    )


@operation(connections_app, "oidc", opens=sso_application)
def oidc(
    t: Tenantry,
    organization_id: OrgArg,
    connection_id: ConnArg,
    issuer: Annotated[str | None, typer.Option(show_default=False)] = None,
    client_id: Annotated[str | None, typer.Option(show_default=False)] = None,
    client_secret_file: FileOpt = None,
    scope: Annotated[
        list[str] | None, typer.Option(help="A scope; repeat (openid needed).", show_default=False)
    ] = None,
    token_auth_method: Annotated[
        str | None,
        typer.Option(help="client_secret_basic or client_secret_post.", show_default=False),
    ] = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Connection:
    """Configure an OIDC connection. The client secret comes from --client-secret-file (- for
    standard input) and is stored encrypted with $TENANTRY_SSO_SECRET_KEY."""
    secret = None
    if client_secret_file is not None:
        secret = _read(client_secret_file, "oidc.client_secret").strip()
    return t.configure_oidc_connection(
        organization_id,
        connection_id,
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        scopes=scope,
        token_endpoint_auth_method=token_auth_method,
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
    )


@operation(connections_app, "mapping", opens=sso_application)
def mapping(
    t: Tenantry,
    organization_id: OrgArg,
    connection_id: ConnArg,
    provider: Annotated[str | None, typer.Option(show_default=False)] = None,
    attribute: Annotated[
        list[str] | None,
        typer.Option(help="FIELD=IDP_ATTRIBUTE (email, given_name, …); repeat."),
    ] = None,
    group_role: Annotated[list[str] | None, typer.Option(help="IDP_GROUP=ROLE; repeat.")] = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Connection:
    """Change the provider label or the attribute mapping."""
    return t.update_connection(
        organization_id,
        connection_id,
        provider=provider,
        attribute_mapping=None if attribute is None else parsing.pairs(attribute, "attribute"),
        group_roles=None if group_role is None else parsing.pairs(group_role, "group_roles"),
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
    )


@operation(connections_app, "enable", opens=sso_application)
def enable(
    t: Tenantry,
    organization_id: OrgArg,
    connection_id: ConnArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Connection:
    """Enable sign-in (needs a complete configuration and the sso feature on)."""
    return t.enable_connection(
        organization_id, connection_id, actor=actor, on_behalf_of=on_behalf_of, reason=reason
    )


@operation(connections_app, "disable", opens=sso_application)
def disable(
    t: Tenantry,
    organization_id: OrgArg,
    connection_id: ConnArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Connection:
    """Disable sign-in (the configuration stays)."""
    return t.disable_connection(
        organization_id, connection_id, actor=actor, on_behalf_of=on_behalf_of, reason=reason
    )


@operation(connections_app, "delete", view=lambda d: f"deleted {d.id}", opens=sso_application)
def delete(
    t: Tenantry,
    organization_id: OrgArg,
    connection_id: ConnArg,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Deleted:
    """Delete a connection."""
    t.delete_connection(
        organization_id, connection_id, actor=actor, on_behalf_of=on_behalf_of, reason=reason
    )
    return Deleted(action="deleted", organization_id=organization_id, id=connection_id)


@operation(connections_app, "test-result", opens=sso_application)
def record_test(
    t: Tenantry,
    organization_id: OrgArg,
    connection_id: ConnArg,
    failure: Annotated[
        str | None, typer.Option(help="Why the test failed (leave out: it succeeded).")
    ] = None,
    actor: ActorOpt = CLI_ACTOR,
    on_behalf_of: OnBehalfOfOpt = None,
    reason: ReasonOpt = None,
) -> Connection:
    """Record a test login's outcome: success, or --failure REASON."""
    return t.record_connection_test(
        organization_id,
        connection_id,
        success=failure is None,
        failure_reason=failure,
        actor=actor,
        on_behalf_of=on_behalf_of,
        reason=reason,
    )


@operation(connections_app, "metadata", view=Text, opens=sso_application)
def metadata(t: Tenantry, organization_id: OrgArg, connection_id: ConnArg) -> str:
    """Print the service provider's SAML metadata XML (for the IdP's admin)."""
    return t.get_saml_sp_metadata(organization_id, connection_id)


@operation(connections_app, "discover", opens=sso_application)
def discover(
    t: Tenantry, email: Annotated[str, typer.Argument(help="A user's e-mail address.")]
) -> Connection:
    """Home-realm discovery: the active connection for an e-mail address's verified domain."""
    return t.discover_connection(email)


@operation(connections_app, "test", view=lambda link: link.url, opens=sso_application)
def start_test(
    t: Tenantry, organization_id: OrgArg, connection_id: ConnArg, actor: ActorOpt = CLI_ACTOR
) -> Link:
    """Print a test-login link: opened in a browser (once, within ten minutes) it signs in at
    the IdP and records the outcome on the connection (see ``connections get``), as made by
    --actor."""
    conn = t.get_connection(organization_id, connection_id)
    ticket = TestTicket(conn.organization_id, conn.id, values.actor(actor))
    url = connection_test_url(t.sso_config, ticket)
    return Link(url=url, expires_in=int(TEST_TICKET_AGE.total_seconds()))


Param = Annotated[str | None, typer.Option(show_default=False)]


@operation(connections_app, "authorize-url", view=lambda link: link.url, opens=sso_application)
def authorize(
    t: Tenantry,
    client_id: Annotated[str, typer.Option(help="The application's API client id.")],
    redirect_uri: Annotated[str, typer.Option(help="A registered TENANTRY_SSO_REDIRECT_URIS.")],
    organization_id: Annotated[
        str | None, typer.Option("--organization", show_default=False)
    ] = None,
    connection_id: Annotated[str | None, typer.Option("--connection", show_default=False)] = None,
    domain: Param = None,
    login_hint: Param = None,
    state: Param = None,
    nonce: Param = None,
) -> Link:
    """Print the hosted sign-in URL (``/oauth/authorize``) for an organization, domain,
    connection or login hint (give one)."""
    if not t.sso_config.allows_redirect(redirect_uri):
        raise RedirectUriNotAllowed(redirect_uri)
    chosen = [organization_id, connection_id, domain, login_hint]
    if sum(v is not None for v in chosen) != 1:
        raise InvalidField(
            "connection", "give one of --organization, --connection, --domain, --login-hint"
        )
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "organization_id": organization_id,
        "connection_id": connection_id,
        "domain": domain,
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    return Link(url=authorize_url(t.sso_config, params))
