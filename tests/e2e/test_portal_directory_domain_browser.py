"""The portal's SCIM and domain pages driven by a real browser (Debian's chromium through
Playwright) against a real ``tenantry serve``: an IT admin opens a portal link, creates a SCIM
directory and copies its endpoint and token with the pages' copy buttons (the token is shown on
that page only: going back does not show it again), enables it, and the copied token then works
for a real SCIM call whose user the portal lists; the admin adds a domain, copies the TXT record,
is told what DNS had before it is published, and verifies it once the record is on the test DNS
server (``TENANTRY_DNS_NAMESERVERS``).

Without /usr/bin/chromium the tests skip, unless ``CI_REQUIRE_BROWSER=1`` makes them fail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.http_support import served_database
from tests.e2e.portal_browser_support import PortalSite, copied, portal_site, screenshot
from tests.e2e.test_browser_sign_in import browser

__all__ = ["browser", "served_database"]  # the fixtures, shared with other served tests

SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"


@pytest.fixture
def site(
    served_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PortalSite]:
    with portal_site(served_database, monkeypatch, tmp_path / "server.log") as served:
        yield served


@pytest.fixture
def context(browser: Browser, site: PortalSite) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1100, "height": 900})
    opened.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.server.base_url)
    yield opened
    opened.close()


def _open_portal(context: BrowserContext, site: PortalSite, org: str) -> Page:
    page = context.new_page()
    page.goto(site.portal_link(org, ["dir_sync", "domain_verification"]))
    page.wait_for_url(f"{site.server.base_url}/portal")  # the link's form posted itself
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme")
    return page


def test_an_admin_creates_a_directory_copies_its_token_and_the_token_provisions(
    site: PortalSite, context: BrowserContext
) -> None:
    org = site.organization()
    page = _open_portal(context, site, org)
    screenshot(page, "portal-home")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Directory sync").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Directory sync (SCIM)")
    page.get_by_label("Identity provider").select_option(label="Okta")
    page.get_by_label("Name", exact=True).fill("Okta production")
    page.get_by_role("button", name="Create directory").click()

    expect(page.get_by_role("alert")).to_contain_text("Copy the token now")
    assert page.locator("body").get_attribute("data-completed-step") == "dir_sync.created"
    screenshot(page, "portal-directory-token")
    endpoint = copied(page, "SCIM base URL")
    token = copied(page, "bearer token")
    directory_id = endpoint.rsplit("/", 1)[1]
    assert endpoint == f"{site.server.base_url}/scim/v2/{directory_id}"
    assert len(token) >= 40

    page.get_by_role("link", name="I have copied the token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Okta production")
    detail = page.url
    assert token not in page.content()
    # Back to the page that showed it: the browser did not keep it (no-store) and will not
    # post the form again by itself.
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    page.wait_for_url("chrome-error://chromewebdata/")  # its "Confirm form resubmission"
    assert token not in page.content()
    page.goto(detail)

    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status")).to_contain_text("The directory is enabled")
    expect(page.locator("dl.props").get_by_text("Active", exact=True)).to_be_visible()
    assert page.locator("body").get_attribute("data-completed-step") == "dir_sync.enabled"
    screenshot(page, "portal-directory")

    user = {
        "schemas": [USER],
        "userName": "ada@acme.example",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@acme.example", "primary": True}],
        "active": True,
    }
    headers = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON}
    created = httpx.post(f"{endpoint}/Users", json=user, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    refused = httpx.post(
        f"{endpoint}/Users", json=user, headers={**headers, "Authorization": "Bearer nope"}
    )
    assert refused.status_code == 401

    page.reload()
    page.get_by_role("link", name="1 user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Synced users")
    row = page.get_by_role("row").filter(has_text="ada@acme.example")
    expect(row).to_contain_text("Ada Lovelace")
    expect(row).to_contain_text("Active")
    screenshot(page, "portal-directory-users")

    app = site.app()
    try:
        (directory,) = app.list_directories(org)
        assert (directory.name, directory.active) == ("Okta production", True)
        assert app.get_membership(org, "ada@acme.example").status == "ACTIVE"
    finally:
        app.close()


def test_an_admin_rotates_the_token_and_maps_a_group_to_a_role(
    site: PortalSite, context: BrowserContext
) -> None:
    org = site.organization()
    page = _open_portal(context, site, org)
    page.goto(f"{site.server.base_url}/portal/directories")
    page.get_by_label("Name", exact=True).fill("Entra")
    page.get_by_label("Identity provider").select_option(label="Microsoft Entra ID")
    page.get_by_role("button", name="Create directory").click()
    first = copied(page, "bearer token")
    page.get_by_role("link", name="I have copied the token").click()

    page.get_by_label("On rotation").select_option(label="Keep the current token for 1 hour")
    page.get_by_role("button", name="Rotate token").click()
    expect(page.get_by_role("alert")).to_contain_text("Copy the token now")
    second = copied(page, "bearer token")
    assert second != first
    page.get_by_role("link", name="I have copied the token").click()
    tokens = page.get_by_role("table", name="Bearer tokens")
    expect(tokens.get_by_role("row")).to_have_count(3)  # a header and two live tokens
    page.once("dialog", lambda dialog: dialog.accept())  # "Revoke the token …? It stops at once."
    page.get_by_role("button", name=f"Revoke the token ending in {first[-4:]}").click()
    expect(page.get_by_role("status")).to_contain_text("The token is revoked")

    page.get_by_label("Group 1", exact=True).fill("Engineering")
    page.get_by_label("Role of group 1").select_option("admin")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_role("status")).to_contain_text("The group mapping is saved")
    expect(page.get_by_label("Group 1", exact=True)).to_have_value("Engineering")
    page.get_by_label("Group 2", exact=True).fill("Finance")
    page.get_by_role("button", name="Save mapping").click()
    error = page.locator("#e-role_1")
    expect(error).to_have_text("choose the role this group grants")
    expect(page.get_by_label("Role of group 2")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "portal-directory-mapping")

    app = site.app()
    try:
        (directory,) = app.list_directories(org)
        assert directory.mapping.group_roles == {"Engineering": "admin"}
        statuses = [s.status for s in directory.secrets]
        assert statuses == ["REVOKED", "ACTIVE"]
    finally:
        app.close()


def test_an_admin_verifies_a_domain_by_publishing_its_txt_record(
    site: PortalSite, context: BrowserContext
) -> None:
    org = site.organization()
    page = _open_portal(context, site, org)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Domains").click()
    page.get_by_role("button", name="Add domain").click()  # empty: refused next to the field
    expect(page.locator("#e-domain")).to_contain_text("must be a domain name")
    page.get_by_label("Domain", exact=True).fill("acme.example")
    page.get_by_role("button", name="Add domain").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("acme.example")
    expect(page.get_by_text("Pending verification")).to_be_visible()
    name = copied(page, "record name")
    value = copied(page, "record value")
    assert name == "_tenantry-verification.acme.example"
    assert value.startswith("tenantry-domain-verification=")
    screenshot(page, "portal-domain")

    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("the name does not exist")
    assert page.locator("body").get_attribute("data-completed-step") is None

    site.dns.publish(name, value)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status")).to_have_text("The domain is verified.")
    expect(page.locator(".badge").get_by_text("Verified", exact=True)).to_be_visible()
    assert page.locator("body").get_attribute("data-completed-step") == "domain.verified"
    screenshot(page, "portal-domain-verified")
    assert site.dns.asked.count(name) == 2  # both verifications asked the DNS server

    app = site.app()
    try:
        (domain,) = app.list_domains(org)
        assert (domain.verification_status, domain.verification_method) == ("VERIFIED", "DNS")
        events = [e for e in app.list_history(org) if e.event == "PortalLinkOpened"]
        assert len(events) == 1
    finally:
        app.close()


def test_a_link_for_sso_only_opens_neither_the_directory_nor_the_domain_pages(
    site: PortalSite, browser: Browser
) -> None:
    org = site.organization()
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.portal_link(org, ["sso"]))
    page.wait_for_url(f"{site.server.base_url}/portal")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Directory sync")).to_have_count(0)
    for path in ("/portal/directories", "/portal/domains"):
        shown = page.goto(f"{site.server.base_url}{path}")
        assert shown is not None
        assert shown.status == 403
        assert re.search("feature_not_in_scope", page.content())
    context.close()
