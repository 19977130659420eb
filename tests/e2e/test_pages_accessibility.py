"""The portal's and the dashboard's main pages pass axe-core's automated accessibility checks
(labels, names, landmarks, contrast, ARIA use — WCAG 2.1 A and AA rules) in a real browser:
no violation of serious or critical impact. axe-core comes with the ``axe-playwright-python``
package (no download); it runs inside Chromium on the page as served, CSP and all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.e2e.portal_browser_support import PortalSite, portal_site
from tests.e2e.test_browser_sign_in import browser

__all__ = ["browser"]

PORTAL_PAGES = (
    "/portal",
    "/portal/sso",
    "/portal/sso/new",
    "/portal/directories",
    "/portal/domains",
)
DASHBOARD_PAGES = ("", "/members", "/history", "/history/1", "/seats", "/sso", "/directories")
SEVERE = {"serious", "critical"}
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PortalSite]:
    with portal_site(f"sqlite:///{tmp_path / 'a11y.db'}", monkeypatch, tmp_path / "log") as s:
        yield s


def _severe(axe: Axe, page: Page) -> list[str]:
    results = axe.run(page, options=WCAG)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SEVERE
    ]


def _organization(site: PortalSite) -> str:
    org = site.organization("Accessible Co")
    app = site.app()
    try:
        app.update_organization_settings(org, {"sso": True, "domain_verification": True})
        app.upsert_user_management_settings(org, 5)
        app.add_member(org, "ada@accessible.example")
        app.update_organization(org, display_name="Accessible Company")
    finally:
        app.close()
    return org


def test_the_portals_pages_have_no_serious_accessibility_violation(
    site: PortalSite, browser: Browser
) -> None:
    org = _organization(site)
    location = site.portal_link(org, ["sso", "dir_sync", "domain_verification"])
    page = browser.new_page()
    page.goto(location)
    page.wait_for_url("**/portal")
    axe = Axe()
    found = {
        path: _severe(axe, page) for path in PORTAL_PAGES if page.goto(site.server.base_url + path)
    }
    assert found == {path: [] for path in PORTAL_PAGES}


def test_the_dashboards_pages_have_no_serious_accessibility_violation(
    site: PortalSite, browser: Browser
) -> None:
    org = _organization(site)
    app = site.app()
    try:
        login = app.issue_dashboard_login("ada", actor="test:a11y")
    finally:
        app.close()
    token = parse_qs(urlsplit(login.location).query)["token"][0]
    page = browser.new_page()
    page.goto(f"{site.server.base_url}/dashboard/login?token={token}")
    page.wait_for_url("**/dashboard/organizations")
    axe = Axe()
    paths = ["/dashboard/organizations"] + [
        f"/dashboard/organizations/{org}{p}" for p in DASHBOARD_PAGES
    ]
    found = {path: _severe(axe, page) for path in paths if page.goto(site.server.base_url + path)}
    assert found == {path: [] for path in paths}
