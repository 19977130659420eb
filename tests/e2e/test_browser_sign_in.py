"""A sign-in driven by a real browser (Debian's chromium through Playwright) against a real
``tenantry serve``: the HTML pages, redirects and cookies of the flow as a browser follows them.
The OIDC login goes from ``/oauth/authorize`` to the test provider (served over HTTP, approving at
once), back to tenantry's callback and on to the application's page with ``code`` and ``state``;
the code is then redeemed at ``/oauth/token`` and the ID token verified with ``/keys``. A disabled
connection's refusal page is shown with its reason.

Without /usr/bin/chromium the test skips, unless ``CI_REQUIRE_BROWSER=1`` (set by .ci/run, which
installs chromium) makes it fail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
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
