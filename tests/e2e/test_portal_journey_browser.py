"""The whole portal journey in a real browser (Debian's chromium through Playwright) against a
real ``tenantry serve`` on SQLite, in one portal session: the vendor's backend generates a link
through the hosted API (``PUT …/portal_links``, features ``sso``, ``dir_sync`` and
``domain_verification``); the customer's IT admin opens it and, without leaving the session,
sets up SAML single sign-on with the SSO tests' IdP (on another site), tests it (SUCCESS) and
enables it; creates a SCIM directory, copies its endpoint and token, which then provision a user
with a real SCIM call; adds a domain and verifies it once its TXT record is on the test DNS
server. Then the same link, opened again, is refused as used; another link, generated at the
start and left alone, is refused as expired once past its time; and the organization's history
(the hosted ``GET …/history``) shows the journey's changes made by ``portal:lnk_…``.

Without /usr/bin/chromium the test skips, unless ``CI_REQUIRE_BROWSER=1`` makes it fail."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tenantry.domain import ids
from tests.e2e.portal_browser_support import (
    PortalSite,
    completed_step,
    copied,
    idp_metadata_file,
    portal_site,
    saml_idp,
)
from tests.e2e.scim_support import Directory, user_body
from tests.e2e.test_browser_sign_in import SamlIdpSite, browser
from tests.support import database

__all__ = ["browser"]  # the fixture, shared with other served tests

FEATURES = ("sso", "dir_sync", "domain_verification")


@dataclass
class Journey:
    site: PortalSite
    idp: SamlIdpSite


@pytest.fixture
def journey(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Journey]:
    """tenantry served on a SQLite file (its domain verification asking the test DNS server)
    and the test SAML IdP on another site."""
    monkeypatch.setenv("TENANTRY_SSO_SECRET_KEY", Fernet.generate_key().decode())
    with (
        database("sqlite", tmp_path) as url,
        portal_site(url, monkeypatch, tmp_path / "server.log") as site,
        saml_idp(site.server.base_url) as idp,
    ):
        yield Journey(site, idp)


def _configure_saml(context: BrowserContext, page: Page, journey: Journey) -> str:
    """Creates an Okta SAML connection, gives it the IdP's metadata, tests it through the IdP
    and enables it; answers its id."""
    base, idp = journey.site.server.base_url, journey.idp
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Single sign-on").click()
    page.get_by_role("link", name="New connection", exact=True).click()
    page.get_by_label("Okta · SAML 2.0").check()
    page.get_by_role("button", name="Create connection").click()
    page.wait_for_url(re.compile(r".*/portal/sso/conn_\w+\?done=created$"))
    found = re.search(r"/portal/sso/(conn_\w+)", page.url)
    assert found is not None
    conn = idp.connection_id = found.group(1)
    acs = f"{base}/sso/v1/saml/{conn}/acs"
    assert copied(page, "ACS URL") == acs

    page.set_input_files("#f-metadata_file", files=[idp_metadata_file(idp)])
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(re.compile(r".*\?done=configured$"))
    assert completed_step(page) == "sso.configured"

    with context.expect_page() as opened:  # the test runs in a new tab
        page.get_by_role("button", name="Test connection").click()
    tab = opened.value
    tab.wait_for_url(acs)  # through the IdP on the other site, and tenantry's re-post
    expect(tab.locator("body")).to_contain_text(f"Connection {conn}: SUCCESS")
    tab.close()
    page.get_by_role("link", name="show the latest result").click()
    page.wait_for_url(re.compile(rf".*/portal/sso/{conn}$"))
    expect(page.locator("#test-result")).to_contain_text("SUCCESS")
    assert completed_step(page) == "sso.tested"

    page.get_by_role("button", name="Enable").click()
    page.wait_for_url(re.compile(r".*\?done=enabled$"))
    expect(page.get_by_role("status")).to_contain_text("Connection enabled")
    assert completed_step(page) == "sso.enabled"
    return conn


def _create_directory(page: Page, journey: Journey, organization_id: str) -> tuple[str, str]:
    """Creates a SCIM directory, copies its endpoint and token, enables it and provisions a
    user with the copied token; answers the directory's id and the token."""
    site = journey.site
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Directory sync").click()
    page.get_by_label("Identity provider").select_option(label="Okta")
    page.get_by_label("Name", exact=True).fill("Okta production")
    page.get_by_role("button", name="Create directory").click()
    expect(page.get_by_role("alert")).to_contain_text("Copy the token now")
    assert completed_step(page) == "dir_sync.created"
    endpoint = copied(page, "SCIM base URL")
    token = copied(page, "bearer token")
    directory_id = endpoint.rsplit("/", 1)[1]
    assert endpoint == f"{site.server.base_url}/scim/v2/{directory_id}"
    page.get_by_role("link", name="I have copied the token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Okta production")
    assert token not in page.content()  # shown once, on the page after its creation only
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status")).to_contain_text("The directory is enabled")
    assert completed_step(page) == "dir_sync.enabled"

    directory = Directory(site.server, organization_id, directory_id, token)
    assert directory.base_url == endpoint
    with directory.http() as scim:  # the identity provider's first call, with the copied token
        created = scim.post("/Users", json=user_body("ada.lovelace@acme.example"))
    assert created.status_code == 201, created.text
    page.reload()
    page.get_by_role("link", name="1 user").click()
    row = page.get_by_role("row").filter(has_text="ada.lovelace@acme.example")
    expect(row).to_contain_text("Active")
    return directory_id, token


def _verify_domain(page: Page, journey: Journey) -> str:
    """Adds acme.example, publishes its TXT record on the test DNS server and verifies it;
    answers the domain's id."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Domains").click()
    page.get_by_label("Domain", exact=True).fill("acme.example")
    page.get_by_role("button", name="Add domain").click()
    page.wait_for_url(re.compile(r".*/portal/domains/dom_\w+\?done=added$"))
    found = re.search(r"/portal/domains/(dom_\w+)", page.url)
    assert found is not None
    expect(page.get_by_role("heading", level=1)).to_have_text("acme.example")
    expect(page.get_by_text("Pending verification")).to_be_visible()
    name, value = copied(page, "record name"), copied(page, "record value")
    journey.site.dns.publish(name, value)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r".*\?done=verified$"))
    expect(page.get_by_role("status")).to_have_text("The domain is verified.")
    expect(page.locator(".badge").get_by_text("Verified", exact=True)).to_be_visible()
    assert completed_step(page) == "domain.verified"
    assert name in journey.site.dns.asked
    return found.group(1)


def _refused(context: BrowserContext, base_url: str, location: str, code: str) -> None:
    """Opens ``location`` in a new tab: its page posts the token, and the answer is a refusal
    page (401) saying ``code``, without echoing the token."""
    page = context.new_page()
    posted = f"{base_url}/portal/open"
    with page.expect_response(lambda r: r.url == posted and r.request.method == "POST") as sent:
        page.goto(location)
    assert sent.value.status == 401
    page.wait_for_url(posted)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be opened")
    expect(page.locator("main code")).to_have_text(code)
    assert _token(location) not in page.content()
    page.close()


def test_an_admin_sets_up_sso_scim_and_a_domain_in_one_portal_session(
    journey: Journey, browser: Browser
) -> None:
    site = journey.site
    base = site.server.base_url
    org = site.organization(sso=True)
    left = site.new_portal_link(org, FEATURES)  # to expire, unused
    link = site.new_portal_link(org, FEATURES)
    actor = f"portal:{link['id']}"
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()

    page.goto(link["location"])  # the link's page posts its token by itself
    page.wait_for_url(f"{base}/portal")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme")
    nav = page.get_by_role("navigation", name="Main")
    for section in ("Single sign-on", "Directory sync", "Domains"):
        expect(nav.get_by_role("link", name=section)).to_be_visible()

    conn = _configure_saml(context, page, journey)
    directory_id, scim_token = _create_directory(page, journey, org)
    domain_id = _verify_domain(page, journey)

    _refused(context, base, link["location"], "portal_link_used")
    page.goto(f"{base}/portal")  # the refused reuse left the session alone
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme")

    remaining = datetime.fromisoformat(left["expire_time"]) - datetime.now(UTC)
    if remaining.total_seconds() > 0:
        time.sleep(remaining.total_seconds() + 0.1)
    _refused(context, base, left["location"], "portal_link_expired")
    context.close()

    with site.server.client() as api:
        answer = api.get(f"/api/v1/organizations/{org}/history", params={"page_size": 100})
    assert answer.status_code == 200, answer.text
    for secret in (scim_token, _token(link["location"])):
        assert secret not in answer.text  # the history keeps no secret
    entries: list[dict[str, Any]] = answer.json()["entries"]
    made = {ids.ORG: org, ids.CONNECTION: conn, ids.DIRECTORY: directory_id, ids.DOMAIN: domain_id}
    ours = {ids.decode(prefix, public_id).hex: public_id for prefix, public_id in made.items()}
    assert [
        (e["event"], ours[e["aggregate_id"]])
        for e in entries
        if e["actor"] == actor and e["aggregate_id"] in ours
    ] == [
        ("Organization.PortalLinkOpened", org),
        ("Connection.Created", conn),
        ("Connection.Configured", conn),
        ("Connection.Tested", conn),
        ("Connection.Enabled", conn),
        ("Directory.Created", directory_id),
        ("Directory.SecretIssued", directory_id),
        ("Directory.Enabled", directory_id),
        ("OrganizationDomain.Added", domain_id),
        ("OrganizationDomain.Verified", domain_id),
    ]
    assert _data(entries, "Connection.Tested") == [{"result": "SUCCESS", "test_reason": None}]
    scim = [e["actor"] for e in entries if e["event"] == "Organization.MemberAdded"]
    assert scim == [f"directory:{directory_id}"]  # the user the copied token provisioned
    opened = [d["link_id"] for d in _data(entries, "Organization.PortalLinkOpened")]
    assert opened == [link["id"]]  # the refused openings recorded nothing
    generated = [d["link_id"] for d in _data(entries, "Organization.PortalLinkGenerated")]
    assert generated == [left["id"], link["id"]]


def _data(entries: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [e["data"] for e in entries if e["event"] == event]


def _token(location: str) -> str:
    return location.split("token=", 1)[1]
