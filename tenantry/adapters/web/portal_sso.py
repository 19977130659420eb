"""The SSO section of the admin portal and of the dashboard (one handler each, mounted under
both, see :mod:`tenantry.adapters.web.console`): the organization's connections; a new one, by
identity provider; a connection's page with the provider's steps, the values to paste into it
(ACS URL, SP entity ID or redirect URI, with copy buttons; the SP metadata to download), the
identity provider's settings (metadata XML pasted or uploaded, or its fields; OIDC issuer, client
ID and secret), its certificates' expiry, "Test connection" and its recorded outcome, enable and
disable.

Every write is one call of the application with the session's actor; a refused form is shown
again with the reason next to the field it names, and nothing is recorded. The session must
include the ``sso`` feature."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from tenantry.adapters.http.errors import status_for
from tenantry.adapters.sign_in.links import connection_test_url
from tenantry.adapters.sign_in.pending import TEST_TICKET_AGE, TestTicket
from tenantry.adapters.web import portal_sso_forms as forms
from tenantry.adapters.web.console import Console, ConsoleDep, both
from tenantry.adapters.web.context import tenantry_of
from tenantry.adapters.web.csrf import CheckedForm, text_of
from tenantry.adapters.web.pages import page_router
from tenantry.adapters.web.portal_sso_providers import guide_by_key, guide_for, providers
from tenantry.adapters.web.templating import render
from tenantry.application.connection_dto import Connection
from tenantry.domain.connection_errors import ConnectionIncomplete
from tenantry.domain.errors import InvalidField, TenantryError

FEATURE: Final = "sso"
router = page_router()

ConnId = Annotated[str, Path(max_length=64)]
Done = Annotated[str | None, Query(max_length=20)]

NOTICES: Final = {
    "created": "Connection created. Follow the steps below, then save your provider's settings.",
    "configured": "Settings saved.",
    "enabled": "Connection enabled: people can sign in through it now.",
    "disabled": "Connection disabled: no one signs in through it until it is enabled again.",
}


def _console(console: Console) -> Console:
    console.require(FEATURE)
    return console


def _to(console: Console, path: str, done: str | None = None) -> RedirectResponse:
    query = f"?done={done}" if done else ""
    return RedirectResponse(console.url(f"/sso{path}{query}"), status_code=303)


def list_connections(request: Request, console: ConsoleDep) -> Response:
    _console(console)
    t = tenantry_of(request)
    found = t.list_connections(console.organization_id)
    now = t.clock()
    rows = [(c, guide_for(c.provider, c.type), forms.certificate_lines(c, now)) for c in found]
    return render(request, "sso/list.html", {"console": console, "rows": rows})


def new_connection(request: Request, console: ConsoleDep) -> Response:
    _console(console)
    return _new_page(request, console, {}, "")


def _new_page(
    request: Request, console: Console, errors: dict[str, str], chosen: str, status: int = 200
) -> Response:
    context = {"console": console, "providers": providers(), "errors": errors, "chosen": chosen}
    return render(request, "sso/new.html", context, status_code=status)


async def create_connection(request: Request, console: ConsoleDep, form: CheckedForm) -> Response:
    _console(console)
    chosen = text_of(form, "guide") or ""
    t = tenantry_of(request)
    try:
        guide = guide_by_key(chosen)
        conn = await run_in_threadpool(
            lambda: t.create_connection(
                console.organization_id,
                guide.type,
                guide.provider,
                actor=console.session.actor,
            )
        )
    except InvalidField as refused:
        return _new_page(request, console, forms.errors_of(refused, "guide"), chosen, 400)
    return _to(console, f"/{conn.id}", "created")


def show_connection(
    request: Request, console: ConsoleDep, connection_id: ConnId, done: Done = None
) -> Response:
    _console(console)
    conn = tenantry_of(request).get_connection(console.organization_id, connection_id)
    return _connection_page(request, console, conn, notice=NOTICES.get(done or "", ""))


def _connection_page(
    request: Request,
    console: Console,
    conn: Connection,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    action_error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "console": console,
        "conn": conn,
        "guide": guide_for(conn.provider, conn.type),
        "sp": forms.sp_values(conn),
        "certificates": forms.certificate_lines(conn, tenantry_of(request).clock()),
        "errors": errors or {},
        "typed": typed or {},
        "action_error": action_error,
        "notice": notice,
        "completed_step": forms.completed_step(conn),
        "missing": forms.missing_settings(conn),
        "test_minutes": int(TEST_TICKET_AGE.total_seconds() // 60),
    }
    return render(request, "sso/connection.html", context, status_code=status)


async def configure_saml(
    request: Request, console: ConsoleDep, connection_id: ConnId, form: CheckedForm
) -> Response:
    _console(console)
    t = tenantry_of(request)
    saml: forms.SamlForm | None = None
    try:
        saml = given = await forms.saml_form(form)
        await run_in_threadpool(
            lambda: t.configure_saml_connection(
                console.organization_id,
                connection_id,
                metadata_xml=given.metadata_xml,
                idp_entity_id=given.idp_entity_id,
                sso_url=given.sso_url,
                certificates=given.certificates,
                actor=console.session.actor,
            )
        )
    except TenantryError as refused:
        where = refused.field if isinstance(refused, InvalidField) else ""
        field = saml.field_of(where) if saml is not None else where  # the form's own rule
        typed = forms.typed_values(form, forms.SAML_FIELDS)
        return await _refused_form(request, console, connection_id, refused, field, typed)
    return _to(console, f"/{connection_id}", "configured")


async def configure_oidc(
    request: Request, console: ConsoleDep, connection_id: ConnId, form: CheckedForm
) -> Response:
    _console(console)
    t = tenantry_of(request)
    try:
        oidc = forms.oidc_form(form)
        await run_in_threadpool(
            lambda: t.configure_oidc_connection(
                console.organization_id,
                connection_id,
                issuer=oidc.issuer,
                client_id=oidc.client_id,
                client_secret=oidc.client_secret,
                scopes=oidc.scopes,
                actor=console.session.actor,
            )
        )
    except TenantryError as refused:
        where = refused.field if isinstance(refused, InvalidField) else ""
        typed = forms.typed_values(form, forms.OIDC_FIELDS)
        field = forms.OidcForm.field_of(where)
        return await _refused_form(request, console, connection_id, refused, field, typed)
    return _to(console, f"/{connection_id}", "configured")


async def _refused_form(
    request: Request,
    console: Console,
    connection_id: str,
    refused: TenantryError,
    field: str,
    typed: dict[str, str],
) -> Response:
    """The connection's page again, the refusal next to ``field`` and the form as typed (a
    connection that is gone, or another organization's, is refused by reading it)."""
    t = tenantry_of(request)
    conn = await run_in_threadpool(t.get_connection, console.organization_id, connection_id)
    errors = forms.errors_of(refused, field)
    return _connection_page(
        request, console, conn, errors=errors, typed=typed, status=status_for(refused)
    )


async def enable(
    request: Request, console: ConsoleDep, connection_id: ConnId, form: CheckedForm
) -> Response:
    _console(console)
    return await _switch(request, console, connection_id, enabled=True)


async def disable(
    request: Request, console: ConsoleDep, connection_id: ConnId, form: CheckedForm
) -> Response:
    _console(console)
    return await _switch(request, console, connection_id, enabled=False)


async def _switch(
    request: Request, console: Console, connection_id: str, *, enabled: bool
) -> Response:
    t = tenantry_of(request)
    verb = t.enable_connection if enabled else t.disable_connection
    try:
        await run_in_threadpool(
            lambda: verb(console.organization_id, connection_id, actor=console.session.actor)
        )
    except TenantryError as refused:
        if isinstance(refused, InvalidField):
            raise
        return await _action_refused(request, console, connection_id, refused)
    return _to(console, f"/{connection_id}", "enabled" if enabled else "disabled")


async def _action_refused(
    request: Request, console: Console, connection_id: str, refused: TenantryError
) -> Response:
    t = tenantry_of(request)
    conn = await run_in_threadpool(t.get_connection, console.organization_id, connection_id)
    message = f"{refused.message} ({refused.code})"
    return _connection_page(
        request, console, conn, action_error=message, status=status_for(refused)
    )


async def start_test(
    request: Request, console: ConsoleDep, connection_id: ConnId, form: CheckedForm
) -> Response:
    """Sends the browser on a test login of the connection (the IdP asked to authenticate
    again); the outcome is recorded on the connection as made by this session's actor."""
    _console(console)
    t = tenantry_of(request)
    conn = await run_in_threadpool(t.get_connection, console.organization_id, connection_id)
    if conn.missing:
        refused = ConnectionIncomplete(conn.missing)
        return await _action_refused(request, console, connection_id, refused)
    ticket = TestTicket(conn.organization_id, conn.id, console.session.actor)
    try:
        url = await run_in_threadpool(connection_test_url, t.sso_config, ticket)
    except TenantryError as refused:  # no SSO secret key configured to seal the ticket with
        return await _action_refused(request, console, connection_id, refused)
    # A page that moves on by itself, not a redirect: the CSP's form-action 'self' would stop
    # this form's redirects at the identity provider, another origin.
    context = {"console": console, "conn": conn, "url": url}
    page = render(request, "sso/test_start.html", context)
    page.headers["Refresh"] = f"0; url={url}"
    return page


async def delete(
    request: Request, console: ConsoleDep, connection_id: ConnId, form: CheckedForm
) -> Response:
    _console(console)
    t = tenantry_of(request)
    await run_in_threadpool(
        lambda: t.delete_connection(
            console.organization_id, connection_id, actor=console.session.actor
        )
    )
    return RedirectResponse(console.url("/sso"), status_code=303)


def sp_metadata(request: Request, console: ConsoleDep, connection_id: ConnId) -> Response:
    """The service provider's SAML metadata, as a file to upload to the identity provider."""
    _console(console)
    xml = tenantry_of(request).get_saml_sp_metadata(console.organization_id, connection_id)
    disposition = f'attachment; filename="{connection_id}-sp-metadata.xml"'
    return Response(
        xml,
        media_type="application/samlmetadata+xml",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )


both(router, "/sso", list_connections, name="sso.list")
both(router, "/sso/new", new_connection, name="sso.new")
both(router, "/sso/new", create_connection, methods=("POST",), name="sso.create")
both(router, "/sso/{connection_id}", show_connection, name="sso.connection")
both(router, "/sso/{connection_id}/sp-metadata.xml", sp_metadata, name="sso.sp_metadata")
both(router, "/sso/{connection_id}/saml", configure_saml, methods=("POST",), name="sso.saml")
both(router, "/sso/{connection_id}/oidc", configure_oidc, methods=("POST",), name="sso.oidc")
both(router, "/sso/{connection_id}/test", start_test, methods=("POST",), name="sso.test")
both(router, "/sso/{connection_id}/enable", enable, methods=("POST",), name="sso.enable")
both(router, "/sso/{connection_id}/disable", disable, methods=("POST",), name="sso.disable")
both(router, "/sso/{connection_id}/delete", delete, methods=("POST",), name="sso.delete")
