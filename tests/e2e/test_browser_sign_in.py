"""A sign-in driven by a real browser (Debian's chromium through Playwright) against a real
``tenantry serve``: the HTML pages, redirects and cookies of the flow as a browser follows them.
The OIDC login goes from ``/oauth/authorize`` to the test provider (served over HTTP, approving at
once), back to tenantry's callback and on to the application's page with ``code`` and ``state``;
the code is then redeemed at ``/oauth/token`` and the ID token verified with ``/keys``. A disabled
connection's refusal page is shown with its reason. The SAML login goes to a test IdP on another
site (``localhost``, not ``127.0.0.1``) whose page posts the signed response to the ACS by itself:
a cross-site POST, without the ``SameSite=Lax`` cookie, so tenantry's re-post page must send it
again from its own site before the application gets its code.

Without /usr/bin/chromium the test skips, unless ``CI_REQUIRE_BROWSER=1`` (set by .ci/run, which
installs chromium) makes it fail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.e2e.http_support import (
    Server,
    free_port,
    oidc_provider,
    serve,
    serve_app,
    served_database,
)
from tests.integration.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeOidcProvider
from tests.integration.saml_idp import FakeSamlIdp, encode, sign
from tests.integration.sign_in_support import authn_request

__all__ = ["oidc_provider", "served_database"]  # the fixtures, shared with other served tests

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ORGS = "/api/v1/organizations"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CI_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@dataclass
class Site:
    """tenantry served at ``server.base_url`` (its SSO base URL too) and the application's page."""

    server: Server
    app_callback: str


async def _app_page(request: Request) -> HTMLResponse:
    """The application's landing page: where tenantry sends the browser back with a code."""
    return HTMLResponse(f"<!doctype html><title>App</title><p>{request.url.query}</p>")


@pytest.fixture
def site(served_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    port, app_port = free_port(), free_port()
    app_callback = f"http://127.0.0.1:{app_port}/callback"
    monkeypatch.setenv("TENANTRY_SSO_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("TENANTRY_SSO_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("TENANTRY_SSO_REDIRECT_URIS", app_callback)
    app = Starlette(routes=[Route("/callback", _app_page)])
    with (
        serve_app(app, app_port),
        serve(served_database, log=tmp_path / "server.log", port=port) as server,
    ):
        yield Site(server, app_callback)


def _oidc_connection(api: httpx.Client, issuer: str) -> tuple[str, str]:
    org = api.post(ORGS, json={"display_name": "Acme"}).json()["organization"]["id"]
    sso_on = {"features": [{"name": "sso", "enabled": True}]}
    assert api.patch(f"{ORGS}/{org}/settings", json=sso_on).status_code == 200
    conn = api.post(f"{ORGS}/{org}/connections", json={"type": "OIDC"}).json()["connection"]["id"]
    config = {"issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    answer = api.patch(f"{ORGS}/{org}/connections/{conn}", json={"oidc_config": config})
    assert answer.status_code == 200, answer.text
    assert api.patch(f"{ORGS}/{org}/connections/{conn}:enable").status_code == 200
    return org, conn


def _authorize_url(site: Site, **params: str) -> str:
    query = {"client_id": site.server.client_id, "redirect_uri": site.app_callback, "state": "s-1"}
    return str(httpx.URL(f"{site.server.base_url}/oauth/authorize", params=query | params))


def _verified(server: Server, id_token: str) -> dict[str, Any]:
    keys = jwt.PyJWKSet.from_dict(httpx.get(f"{server.base_url}/keys").json())
    kid = jwt.get_unverified_header(id_token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims: dict[str, Any] = jwt.decode(
        id_token, key, algorithms=["RS256"], audience=server.client_id, issuer=server.base_url
    )
    return claims


def test_a_browser_signs_in_through_oidc_and_the_app_gets_a_code_for_an_id_token(
    site: Site, oidc_provider: FakeOidcProvider, browser: Browser
) -> None:
    with site.server.client() as api:
        org, conn = _oidc_connection(api, oidc_provider.issuer)
    context = browser.new_context()
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.is_navigation_request() else None)
    landed = page.goto(_authorize_url(site, organization_id=org))
    assert landed is not None
    assert landed.status == 200
    final = urlsplit(page.url)
    assert f"{final.scheme}://{final.netloc}{final.path}" == site.app_callback
    assert page.title() == "App"
    query = dict(parse_qsl(final.query))
    assert query["state"] == "s-1"
    # the browser went through the provider and tenantry's callback on its way back
    assert any(u.startswith(f"{oidc_provider.issuer}/authorize?") for u in seen), seen
    callback = f"{site.server.base_url}/sso/v1/oidc/{conn}/callback?"
    assert any(u.startswith(callback) for u in seen), seen
    context.close()
    form = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": site.app_callback,
    }
    auth = (site.server.client_id, site.server.client_secret)
    answer = httpx.post(f"{site.server.base_url}/oauth/token", data=form, auth=auth)
    assert answer.status_code == 200, answer.text
    claims = _verified(site.server, answer.json()["id_token"])
    assert (claims["email"], claims["oid"], claims["conn"]) == ("ada@example.com", org, conn)


def test_a_browser_is_shown_why_a_disabled_connection_refuses_it(
    site: Site, oidc_provider: FakeOidcProvider, browser: Browser
) -> None:
    with site.server.client() as api:
        org, conn = _oidc_connection(api, oidc_provider.issuer)
        assert api.patch(f"{ORGS}/{org}/connections/{conn}:disable").status_code == 200
    context = browser.new_context()
    page = context.new_page()
    shown = page.goto(_authorize_url(site, connection_id=conn))
    assert shown is not None
    assert shown.status == 422  # a failed precondition
    assert urlsplit(page.url).path == "/oauth/authorize"
    assert page.title() == "Sign-in refused"
    text = page.inner_text("body")
    assert "connection_not_active" in text
    assert f"connection '{conn}' does not sign anyone in now" in text
    context.close()


@dataclass
class SamlIdpSite:
    """The test SAML IdP behind an HTTP page: it signs the user in at once and answers with a
    form that posts the signed response to the ACS as soon as the page loads."""

    idp: FakeSamlIdp
    sso_url: str
    sp_base_url: str
    connection_id: str = ""

    async def sso(self, request: Request) -> HTMLResponse:
        authn = authn_request(str(request.url))
        sp = f"{self.sp_base_url}/sso/v1/saml/{self.connection_id}"
        now = datetime.now(UTC)
        assertion = self.idp.assertion(
            now,
            subject="ada@acme.test",
            in_response_to=authn.get("ID"),
            audience=sp,
            recipient=f"{sp}/acs",
        )
        response = self.idp.response(
            now,
            sign(assertion, self.idp.keys),
            in_response_to=authn.get("ID"),
            destination=f"{sp}/acs",
        )
        fields = {
            "SAMLResponse": encode(response),
            "RelayState": request.query_params["RelayState"],
        }
        inputs = "".join(
            f'<input type=hidden name="{k}" value="{escape(v)}">' for k, v in fields.items()
        )
        return HTMLResponse(
            f'<!doctype html><title>IdP</title><form method=post action="{sp}/acs">{inputs}'
            "</form><script>document.forms[0].submit()</script>"
        )


@pytest.fixture
def saml_idp(site: Site) -> Iterator[SamlIdpSite]:
    port = free_port()
    idp_site = SamlIdpSite(FakeSamlIdp(), f"http://localhost:{port}/sso", site.server.base_url)
    with serve_app(Starlette(routes=[Route("/sso", idp_site.sso)]), port):
        yield idp_site


def test_a_browser_signs_in_through_saml_and_tenantry_reposts_the_cross_site_response(
    site: Site, saml_idp: SamlIdpSite, browser: Browser
) -> None:
    with site.server.client() as api:
        org = api.post(ORGS, json={"display_name": "Acme"}).json()["organization"]["id"]
        sso_on = {"features": [{"name": "sso", "enabled": True}]}
        assert api.patch(f"{ORGS}/{org}/settings", json=sso_on).status_code == 200
        body = {"type": "SAML", "provider": "OKTA"}
        conn = api.post(f"{ORGS}/{org}/connections", json=body).json()["connection"]["id"]
        config = {
            "idp_entity_id": saml_idp.idp.entity_id,
            "idp_sso_url": saml_idp.sso_url,
            "idp_certificates": [saml_idp.idp.keys.cert_pem],
        }
        answer = api.patch(f"{ORGS}/{org}/connections/{conn}", json={"saml_config": config})
        assert answer.status_code == 200, answer.text
        assert api.patch(f"{ORGS}/{org}/connections/{conn}:enable").status_code == 200
    saml_idp.connection_id = conn
    context = browser.new_context()
    page = context.new_page()
    posts: list[str] = []
    acs = f"{site.server.base_url}/sso/v1/saml/{conn}/acs"
    page.on("request", lambda r: posts.append(r.post_data or "") if r.url == acs else None)
    page.goto(_authorize_url(site, connection_id=conn), wait_until="commit")
    page.wait_for_url(f"{site.app_callback}?*")  # blocked by a CSP form-action, it never is
    assert page.title() == "App"
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query["state"] == "s-1"
    # the IdP's cross-site post, then tenantry's same-site re-post of the same response
    assert len(posts) == 2, posts
    assert "resubmitted" not in posts[0]
    assert "resubmitted=1" in posts[1]
    context.close()
    form = {"grant_type": "authorization_code", "code": query["code"]}
    form["redirect_uri"] = site.app_callback
    auth = (site.server.client_id, site.server.client_secret)
    answer = httpx.post(f"{site.server.base_url}/oauth/token", data=form, auth=auth)
    assert answer.status_code == 200, answer.text
    claims = _verified(site.server, answer.json()["id_token"])
    assert (claims["email"], claims["oid"], claims["conn"]) == ("ada@acme.test", org, conn)
