"""The hosted sign-in over HTTP: ``GET /oauth/authorize`` sends the browser to the organization's
identity provider, the ACS (``POST /sso/v1/saml/{id}/acs``) or the OIDC callback
(``GET /sso/v1/oidc/{id}/callback``) takes it back, and the browser is sent on to the
application's ``redirect_uri`` with a one-time ``code`` (and its ``state``), which the application
redeems at ``POST /oauth/token`` (``grant_type=authorization_code``) for an ID token.

The connection is chosen by ``connection_id``, ``organization_id`` (its oldest active connection),
``domain`` or ``login_hint`` (home-realm discovery). ``redirect_uri`` must be on the host's
allow-list (``TENANTRY_SSO_REDIRECT_URIS``); a refused request never redirects, it answers an HTML
page naming the reason. The pending login lives in an HTTP-only, ``SameSite=Lax`` cookie
(:mod:`tenantry.adapters.sign_in.pending`), dropped when the login ends.
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from tenantry.adapters.auth.authorization_codes import AuthorizationCodes
from tenantry.adapters.http.sign_in_pages import (
    PAGE_RESPONSES,
    refusal_page,
    repost_page,
    test_result_page,
)
from tenantry.adapters.sign_in.links import AUTHORIZE_PATH
from tenantry.adapters.sign_in.pending import (
    COOKIE,
    MAX_AGE,
    AppRequest,
    open_test_ticket,
)
from tenantry.adapters.sign_in.service import Finished, SignIn, Started
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField, TenantryError
from tenantry.domain.sign_in_errors import ConnectionNotActive, RedirectUriNotAllowed

ACS_PATH: Final = "/sso/v1/saml/{connection_id}/acs"
CALLBACK_PATH: Final = "/sso/v1/oidc/{connection_id}/callback"
Text = Annotated[str | None, Query(max_length=2048)]
ConnId = Annotated[str, Path(description="A conn_ id.", max_length=64)]


def _connection_for(
    t: Tenantry,
    connection_id: str | None,
    organization_id: str | None,
    domain: str | None,
    login_hint: str | None,
) -> str:
    """The connection a login goes through, from whichever of the four the caller gave."""
    if connection_id:
        return connection_id
    if organization_id:
        active = [c for c in t.list_connections(organization_id) if c.active]
        if not active:
            raise ConnectionNotActive(organization_id)
        return active[0].id
    if domain or login_hint:
        return t.discover_connection(login_hint if login_hint else f"sign-in@{domain}").id
    raise InvalidField("connection_id", "give connection_id, organization_id, domain or login_hint")


def _started(started: Started, secure: bool) -> Response:
    response = RedirectResponse(started.redirect_url, status_code=302)
    response.set_cookie(
        COOKIE,
        started.cookie,
        max_age=int(MAX_AGE.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/sso/v1/",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _ended(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/sso/v1/")
    return response


def add_sign_in_routes(
    app: FastAPI, t: Tenantry, sign_in: SignIn, codes: AuthorizationCodes
) -> None:
    """Adds the authorize, ACS and callback routes over ``sign_in`` to ``app``."""

    def hand_back(finished: Finished) -> Response:
        """Where a completed login sends the browser: the application with a code, or the
        admin's test result."""
        if finished.tested is not None:
            return _ended(test_result_page(finished.tested))
        signed_in = finished.signed_in
        if signed_in is None:  # never: a login that is not a test signs someone in
            raise InvalidField("login", "completed without a signed-in user")
        request = finished.app
        if request is None:  # never: an IdP-initiated login is bound to its application
            raise InvalidField("login", "completed without an application to hand it to")
        grant = signed_in.model_dump() | {"nonce": request.nonce}
        code = codes.issue(request.client_id, request.redirect_uri, grant)
        query = {"code": code} | ({"state": request.state} if request.state else {})
        separator = "&" if "?" in request.redirect_uri else "?"
        response = RedirectResponse(
            f"{request.redirect_uri}{separator}{urlencode(query)}", status_code=302
        )
        response.headers["Cache-Control"] = "no-store"
        return _ended(response)

    @app.get(
        AUTHORIZE_PATH,
        tags=["sign-in"],
        summary="Start a sign-in (the hosted pattern)",
        responses=PAGE_RESPONSES,
        response_class=HTMLResponse,
    )
    async def authorize(
        response_type: Text = "code",
        client_id: Text = None,
        redirect_uri: Text = None,
        state: Text = None,
        nonce: Text = None,
        connection_id: Text = None,
        organization_id: Text = None,
        domain: Text = None,
        login_hint: Text = None,
        test: Text = None,
    ) -> Response:
        def start() -> Started:
            if test is not None:
                ticket = open_test_ticket(t.sso_config, test)
                if ticket is None:
                    raise InvalidField("test", "the test link is invalid or expired")
                return sign_in.start(ticket.connection_id, None, test=ticket)
            if response_type != "code":
                raise InvalidField("response_type", "must be code")
            if not client_id:
                raise InvalidField("client_id", "is required")
            if not redirect_uri or not t.sso_config.allows_redirect(redirect_uri):
                raise RedirectUriNotAllowed(redirect_uri or "")
            conn = _connection_for(t, connection_id, organization_id, domain, login_hint)
            request = AppRequest(client_id, redirect_uri, state, nonce)
            return sign_in.start(conn, request, login_hint=login_hint)

        try:
            secure = t.sso_config.base_url.startswith("https://")
            return _started(await run_in_threadpool(start), secure)
        except TenantryError as refused:
            return refusal_page(refused)

    @app.post(
        ACS_PATH,
        tags=["sign-in"],
        summary="SAML assertion consumer service (HTTP-POST)",
        responses=PAGE_RESPONSES,
        response_class=HTMLResponse,
    )
    async def acs(
        request: Request,
        connection_id: ConnId,
        SAMLResponse: Annotated[str, Form(max_length=1_000_000)],  # noqa: N803 (SAML's name)
        RelayState: Annotated[str, Form(max_length=80)] = "",  # noqa: N803
        resubmitted: Annotated[str, Form(max_length=1)] = "",
    ) -> Response:
        cookie = request.cookies.get(COOKIE)
        if cookie is None and not resubmitted:  # a cross-site POST: Lax cookies stay behind
            fields = {"SAMLResponse": SAMLResponse, "RelayState": RelayState, "resubmitted": "1"}
            return repost_page(str(request.url), fields)
        try:
            finished = await run_in_threadpool(
                sign_in.finish_saml, connection_id, SAMLResponse, RelayState, cookie
            )
            return await run_in_threadpool(hand_back, finished)
        except TenantryError as refused:
            return _ended(refusal_page(refused))

    @app.get(
        CALLBACK_PATH,
        tags=["sign-in"],
        summary="OpenID Connect redirect (authorization code)",
        responses=PAGE_RESPONSES,
        response_class=HTMLResponse,
    )
    async def callback(request: Request, connection_id: ConnId) -> Response:
        query: dict[str, Any] = dict(request.query_params)
        try:
            finished = await run_in_threadpool(
                sign_in.finish_oidc, connection_id, query, request.cookies.get(COOKIE)
            )
            return await run_in_threadpool(hand_back, finished)
        except TenantryError as refused:
            return _ended(refusal_page(refused))
