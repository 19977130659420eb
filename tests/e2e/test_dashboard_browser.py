"""The vendor's dashboard in a real browser (Debian's chromium through Playwright) against a real
``tenantry serve`` on SQLite: sign in with the one-time link ``tenantry dashboard login`` prints,
find an organization by search, open its timeline, step back to a past version and see the old
values, step forward again; share a portal link; see the seat chart. At a phone's width (360px)
nothing overflows.

Screenshots of the main pages go to docs/screenshots/ when ``TENANTRY_SCREENSHOTS=1``.
Without /usr/bin/chromium the test skips, unless ``CI_REQUIRE_BROWSER=1`` makes it fail."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

import tenantry
from tests.e2e.http_support import Server, cli, free_port, serve
from tests.e2e.test_browser_sign_in import browser

__all__ = ["browser"]  # the fixture, shared with the sign-in tests

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """``tenantry serve`` on SQLite; its public base URL is what login links point at."""
    port = free_port()
    monkeypatch.setenv("TENANTRY_SSO_BASE_URL", f"http://127.0.0.1:{port}")
    url = f"sqlite:///{tmp_path / 'tenantry.db'}"
    with serve(url, log=tmp_path / "server.log", port=port) as s:
        yield s


def shot(page: Page, name: str) -> None:
    if os.environ.get("TENANTRY_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"dashboard-{name}.png"), full_page=True)


def login_link(server: Server) -> str:
    """A one-time login link printed by ``tenantry dashboard login``."""
    out = cli(
        "dashboard", "login", "--operator", "ada", "--json", "--database-url", server.database_url
    )
    assert out.returncode == 0, out.stderr
    location: str = json.loads(out.stdout)["location"]
    assert location.startswith(f"{server.base_url}/dashboard/login?token="), location
    return location


def history_of_orbital(server: Server) -> str:
    """An organization with a past, made through the application on the served database."""
    t = tenantry.connect(server.database_url)
    try:
        for name, ext in (("Northwind Traders", "nw-1"), ("Globex", "gx-7"), ("Initech", None)):
            t.create_organization(name, external_id=ext)
        org = t.create_organization("Orbital Rockets", external_id="orbital-1", actor="cli:setup")
        t.upsert_user_management_settings(org.id, 3, actor="cli:setup")
        t.add_member(org.id, "ann@orbital.example", actor="cli:setup")
        t.invite_member(org.id, "bob@orbital.example", actor="cli:setup")
        t.update_organization(
            org.id, display_name="Orbital Aerospace", actor="dashboard:bob", reason="rebrand"
        )
        return org.id
    finally:
        t.close()


def no_horizontal_overflow(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


def test_find_an_organization_open_its_timeline_and_step_back(
    browser: Browser, server: Server
) -> None:
    org = history_of_orbital(server)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(login_link(server))
    expect(page.get_by_role("heading", name="Organizations")).to_be_visible()
    assert page.url.endswith("/dashboard/organizations")
    expect(page.get_by_role("link", name="Northwind Traders")).to_be_visible()
    shot(page, "organizations")

    search = page.get_by_label("Search organizations")
    search.fill("orbital")
    search.press("Enter")  # the keyboard alone submits it
    expect(page.get_by_role("status")).to_contain_text("1 found")
    expect(page.get_by_role("link", name="Northwind Traders")).to_have_count(0)
    page.get_by_role("link", name="Orbital Aerospace").click()
    expect(page.get_by_role("heading", name="Orbital Aerospace", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("2 of 3 seats in use")
    shot(page, "organization")

    page.get_by_role("navigation", name="Organization sections").get_by_role(
        "link", name="History"
    ).click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    renamed = page.locator(".timeline > li").first
    expect(renamed).to_contain_text("Renamed")
    expect(renamed).to_contain_text("dashboard:bob")
    expect(renamed.locator("del.before")).to_have_text("Orbital Rockets")
    expect(renamed.locator("ins.after")).to_have_text("Orbital Aerospace")
    shot(page, "history")

    page.get_by_role("link", name="View as of version 4").click()  # the rename is version 5
    expect(page.get_by_role("heading", name=re.compile("As of version 4"))).to_be_visible()
    settings = page.locator("#as-of-settings")
    expect(settings).to_contain_text("Orbital Rockets")
    expect(settings).not_to_contain_text("Orbital Aerospace")
    expect(page.locator("main")).to_contain_text("bob@orbital.example — pending invite")
    shot(page, "as-of")

    page.get_by_role("link", name="← Version 3").click()
    expect(page.get_by_role("heading", name=re.compile("As of version 3"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("ann@orbital.example — active")
    expect(page.locator("main")).not_to_contain_text("bob@orbital.example — ")  # not invited yet
    page.get_by_role("link", name="← Version 2").click()
    expect(page.locator("#as-of-settings")).to_contain_text("Seat limit3")
    page.get_by_role("link", name="← Version 1").click()
    expect(page.get_by_role("heading", name=re.compile("As of version 1"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("← Version"))).to_have_count(0)
    expect(page.locator("#as-of-settings")).to_contain_text("off (no seat management)")
    page.get_by_role("link", name="Version 2 →").click()
    expect(page.get_by_role("heading", name=re.compile("As of version 2"))).to_be_visible()
    page.get_by_role("link", name="Latest version").click()
    expect(page.locator("#as-of-settings")).to_contain_text("Orbital Aerospace")
    assert page.url.endswith(f"/dashboard/organizations/{org}/history/5")
    context.close()


def test_share_a_portal_link_and_see_seats_over_time_on_a_phone(
    browser: Browser, server: Server
) -> None:
    org = history_of_orbital(server)
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(login_link(server))
    expect(page.get_by_role("heading", name="Organizations")).to_be_visible()
    no_horizontal_overflow(page)

    page.goto(f"{server.base_url}/dashboard/organizations/{org}")
    page.get_by_role("checkbox", name="Domains").check()
    page.get_by_role("button", name="Generate a shareable link (7 days)").click()
    link = page.locator("#c-portal-link")
    expect(link).to_contain_text(f"{server.base_url}/portal/open?token=")
    expect(page.get_by_role("heading", name="Admin portal links")).to_be_in_viewport()
    expect(page.get_by_role("table", name="Live portal links")).to_contain_text("shareable")
    no_horizontal_overflow(page)
    shot(page, "portal-link")

    admin = browser.new_context().new_page()  # the customer's admin, given the link
    admin.goto(link.inner_text().strip())
    expect(admin.get_by_role("heading", name="Orbital Aerospace")).to_be_visible()
    expect(admin.get_by_role("link", name="Domains").first).to_be_visible()

    page.on("dialog", lambda dialog: dialog.accept())  # "Revoke …?"
    page.get_by_role("button", name=re.compile("^Revoke lnk_")).click()
    expect(page.get_by_role("status").first).to_contain_text("revoked")
    admin.reload()
    expect(admin.get_by_role("heading", name="Your session has ended")).to_be_visible()
    admin.context.close()
    expect(page.get_by_role("table", name="Live portal links")).to_have_count(0)

    page.goto(f"{server.base_url}/dashboard/organizations/{org}/history")
    no_horizontal_overflow(page)
    expect(page.locator(".timeline > li").first).to_contain_text("Portal link revoked")
    page.get_by_role("link", name=re.compile("View as of version")).first.click()
    expect(page.get_by_role("heading", name=re.compile("As of version"))).to_be_visible()
    no_horizontal_overflow(page)

    page.goto(f"{server.base_url}/dashboard/organizations/{org}/seats")
    chart = page.get_by_role("img", name=re.compile("Seats in use over time"))
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] <= 360
    page.get_by_text("The same as a table").click()
    expect(page.get_by_role("table", name="Seat usage over time")).to_contain_text("Member added")
    no_horizontal_overflow(page)
    shot(page, "seats")
    context.close()
