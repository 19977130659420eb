"""The portal's SSO pages in a real browser (Debian's chromium through Playwright) against a real
``tenantry serve`` on SQLite: a customer's IT admin opens a generated portal link, picks Okta
(SAML), copies the ACS URL, uploads the test IdP's metadata, runs "Test connection" — the browser
goes through the test IdP of the SSO tests (another site, whose response tenantry re-posts) and
back to the recorded outcome — sees SUCCESS on the connection's page and enables it. The vendor's
staff do the same for OIDC (the test OpenID provider) from the dashboard.

Screenshots of the pages go to docs/screenshots/ when ``TENANTRY_SCREENSHOTS=1``. Without
/usr/bin/chromium the test skips, unless ``CI_REQUIRE_BROWSER=1`` makes it fail."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page
from starlette.applications import Starlette
from starlette.routing import Route

import tenantry
from tenantry.application.sso_config import SsoConfig
from tenantry.domain import ids
from tests.e2e.http_support import Server, free_port, oidc_provider, serve, serve_app
from tests.e2e.test_browser_sign_in import SamlIdpSite, browser
from tests.integration.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeOidcProvider
from tests.integration.saml_idp import FakeSamlIdp
from tests.sso_support import idp_metadata_xml
from tests.support import database

__all__ = ["browser", "oidc_provider"]  # fixtures shared with the other served tests

ORGS = "/api/v1/organizations"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class Portal:
    server: Server
    idp: SamlIdpSite


@pytest.fixture
def portal_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    """``tenantry serve`` on a SQLite file (its SSO base URL its own) and the test SAML IdP on
    another site (``localhost``, not ``127.0.0.1``)."""
    port, idp_port = free_port(), free_port()
    monkeypatch.setenv("TENANTRY_SSO_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("TENANTRY_SSO_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("TENANTRY_VENDOR_NAME", "Vendorly")
    base = f"http://127.0.0.1:{port}"
    idp = SamlIdpSite(FakeSamlIdp(), f"http://localhost:{idp_port}/sso", base)
    with (
        database("sqlite", tmp_path) as url,
        serve_app(Starlette(routes=[Route("/sso", idp.sso)]), idp_port),
        serve(url, log=tmp_path / "server.log", port=port) as server,
    ):
        yield Portal(server, idp)


def _portal_link(server: Server, org: str) -> tuple[str, str]:
    """(location, session actor) of a new single-use portal link to the organization's SSO."""
    t = tenantry.connect(server.database_url)
    try:
        t.sso_config = SsoConfig(base_url=server.base_url)
        link = t.generate_portal_link(org, ["sso"], actor="vendor:e2e")
        return link.location, f"portal:{link.id}"
    finally:
        t.close()


def _shot(page: Page, name: str) -> None:
    if os.environ.get("TENANTRY_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"portal-sso-{name}.png"), full_page=True)


def _step(page: Page) -> str | None:
    return page.get_attribute("body", "data-completed-step")


def _recorded(server: Server, conn: str) -> list[tuple[str, str]]:
    """(event, actor) of the connection's stored events, oldest first."""
    uid = ids.decode(ids.CONNECTION, conn)
    t = tenantry.connect(server.database_url)
    try:
        return [
            (n.topic.split(".")[-1], json.loads(n.state)["actor"])
            for n in t.recorder.select_notifications(start=None, limit=10_000)
            if n.originator_id == uid
        ]
    finally:
        t.close()


def test_an_admin_sets_up_saml_sso_in_the_portal_tests_it_and_enables_it(
    portal_site: Portal, browser: Browser
) -> None:
    server, idp = portal_site.server, portal_site.idp
    with server.client() as api:
        org = api.post(ORGS, json={"display_name": "Acme"}).json()["organization"]["id"]
        sso_on = {"features": [{"name": "sso", "enabled": True}]}
        assert api.patch(f"{ORGS}/{org}/settings", json=sso_on).status_code == 200
    location, actor = _portal_link(server, org)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
    page = context.new_page()

    page.goto(location)  # the link's page posts its token by itself
    page.wait_for_url(f"{server.base_url}/portal")
    page.get_by_role("navigation").get_by_role("link", name="Single sign-on").click()
    page.wait_for_url(f"{server.base_url}/portal/sso")
    assert "No connection yet" in page.inner_text("main")
    page.get_by_role("link", name="New connection", exact=True).click()
    _shot(page, "new")
    okta = page.get_by_label("Okta · SAML 2.0")
    okta.focus()  # by keyboard: the radio, then the form's submit
    page.keyboard.press("Space")
    assert okta.is_checked()
    page.get_by_role("button", name="Create connection").click()
    page.wait_for_url(re.compile(r".*/portal/sso/conn_\w+\?done=created$"))
    found = re.search(r"/portal/sso/(conn_\w+)", page.url)
    assert found is not None
    conn = idp.connection_id = found.group(1)

    acs = f"{server.base_url}/sso/v1/saml/{conn}/acs"
    assert page.inner_text("#c-acs-url") == acs
    page.get_by_role("button", name="Copy ACS URL").click()
    assert page.evaluate("navigator.clipboard.readText()") == acs
    assert page.inner_text("#c-sp-entity-id") == f"{server.base_url}/sso/v1/saml/{conn}"
    _shot(page, "steps")

    cert = x509.load_pem_x509_certificate(idp.idp.keys.cert_pem.encode())
    metadata = idp_metadata_xml(cert, idp.idp.entity_id, idp.sso_url)
    page.set_input_files(
        "#f-metadata_file",
        files=[{"name": "okta.xml", "mimeType": "application/xml", "buffer": metadata.encode()}],
    )
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(re.compile(r".*\?done=configured$"))
    assert "Settings saved." in page.inner_text("[role=status]")
    assert _step(page) == "sso.configured"
    assert idp.idp.entity_id in page.inner_text("main")
    assert page.inner_text("#test-result").startswith("NOT_TESTED")

    with context.expect_page() as opened:  # the test runs in a new tab
        page.get_by_role("button", name="Test connection").click()
    tab = opened.value
    tab.wait_for_url(acs)  # through /oauth/authorize, the IdP, and its re-posted response
    tab.wait_for_load_state()
    assert tab.title() == "Connection test"
    assert f"Connection {conn}: SUCCESS" in tab.inner_text("body")
    tab.close()

    page.get_by_role("link", name="show the latest result").click()
    page.wait_for_url(re.compile(rf".*/sso/{conn}$"))  # the page again, without its notice
    assert page.inner_text("#test-result").startswith("SUCCESS")
    assert _step(page) == "sso.tested"
    _shot(page, "tested")

    page.get_by_role("button", name="Enable").click()
    page.wait_for_url(re.compile(r".*\?done=enabled$"))
    assert "Connection enabled" in page.inner_text("[role=status]")
    assert _step(page) == "sso.enabled"
    assert page.get_by_role("button", name="Disable").is_visible()
    _shot(page, "enabled")

    page.get_by_role("navigation").get_by_role("link", name="Single sign-on").click()
    assert "SUCCESS" in page.inner_text("table")
    _shot(page, "list")
    page.set_viewport_size({"width": 360, "height": 780})  # a phone: nothing runs off the side
    for path in ("/sso", f"/sso/{conn}", "/sso/new"):
        page.goto(f"{server.base_url}/portal{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    _shot(page, "phone")
    context.close()

    with server.client() as api:
        made = api.get(f"{ORGS}/{org}/connections/{conn}").json()["connection"]
    assert made["enabled"] is True
    assert made["test_connection"]["result"] == "SUCCESS"
    events = _recorded(server, conn)
    assert [e for e, _ in events] == ["Created", "Configured", "Tested", "Enabled"]
    assert {a for _, a in events} == {actor}


def _dashboard_login(server: Server) -> tuple[str, str]:
    """(location, session actor) of a one-time dashboard login link."""
    t = tenantry.connect(server.database_url)
    try:
        t.sso_config = SsoConfig(base_url=server.base_url)
        login = t.issue_dashboard_login("ops@vendor.example", actor="cli:ops")
        return login.location, "dashboard:ops@vendor.example"
    finally:
        t.close()


def test_the_vendors_staff_set_up_oidc_sso_for_an_organization_from_the_dashboard(
    portal_site: Portal, oidc_provider: FakeOidcProvider, browser: Browser
) -> None:
    server = portal_site.server
    with server.client() as api:
        org = api.post(ORGS, json={"display_name": "Globex"}).json()["organization"]["id"]
        sso_on = {"features": [{"name": "sso", "enabled": True}]}
        assert api.patch(f"{ORGS}/{org}/settings", json=sso_on).status_code == 200
    location, actor = _dashboard_login(server)
    context = browser.new_context()
    page = context.new_page()
    page.goto(location)  # the login page posts its token by itself
    page.wait_for_url(re.compile(rf"{re.escape(server.base_url)}/dashboard(/.*)?$"))
    base = f"{server.base_url}/dashboard/organizations/{org}/sso"
    page.goto(f"{base}/new")
    page.get_by_label("Other OpenID Connect provider · OpenID Connect").check()
    page.get_by_role("button", name="Create connection").click()
    page.wait_for_url(re.compile(r".*/sso/conn_\w+\?done=created$"))
    found = re.search(r"/sso/(conn_\w+)", page.url)
    assert found is not None
    conn = found.group(1)
    assert page.inner_text("#c-redirect-uri") == f"{server.base_url}/sso/v1/oidc/{conn}/callback"

    page.get_by_label("Issuer URL").fill(oidc_provider.issuer)
    page.get_by_label("Client ID").fill(CLIENT_ID)
    page.get_by_label("Client secret").fill(CLIENT_SECRET)
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(re.compile(r".*\?done=configured$"))
    assert CLIENT_SECRET not in page.content()
    assert "set (never shown)" in page.inner_text("main")

    with context.expect_page() as opened:
        page.get_by_role("button", name="Test connection").click()
    tab = opened.value
    tab.wait_for_url(re.compile(rf".*/sso/v1/oidc/{conn}/callback\?.*"))
    tab.wait_for_load_state()
    assert f"Connection {conn}: SUCCESS" in tab.inner_text("body")
    tab.close()
    page.get_by_role("link", name="show the latest result").click()
    page.wait_for_url(re.compile(rf".*/sso/{conn}$"))  # the page again, without its notice
    assert page.inner_text("#test-result").startswith("SUCCESS")
    page.get_by_role("button", name="Enable").click()
    page.wait_for_url(re.compile(r".*\?done=enabled$"))
    assert _step(page) == "sso.enabled"
    _shot(page, "dashboard-oidc")
    context.close()

    events = _recorded(server, conn)
    assert [e for e, _ in events] == ["Created", "Configured", "Tested", "Enabled"]
    assert {a for _, a in events} == {actor}
