"""The admin portal embedded in a vendor's own page, in a real browser (chromium through
Playwright) against a real ``tenantry serve`` reached as ``http://localhost:<port>``, with
``TENANTRY_PORTAL_FRAME_ANCESTORS`` naming the vendor's origin ``http://localhost:<app port>``.

The vendor's page is served by a tiny HTTP server on another port of localhost: it frames a
portal link in an ``<iframe>`` and records every message its window receives. Framed there, the
link opens (the session cookie is ``SameSite=Lax`` over plain HTTP: the vendor's page and
tenantry are the same site, localhost), the admin works inside the frame, and the page hears of
each completed step (``{type: "tenantry.portal", step}``) from tenantry's origin. The same page
served from another origin (``http://127.0.0.1:<app port>``) is refused the portal by Chromium
itself (CSP ``frame-ancestors``): nothing renders in the frame, the link is not used, and no
message arrives.

Without /usr/bin/chromium the tests skip, unless ``CI_REQUIRE_BROWSER=1`` makes them fail."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.e2e.http_support import free_port, serve_app, served_database
from tests.e2e.portal_browser_support import PortalSite, portal_site, screenshot
from tests.e2e.test_browser_sign_in import browser

__all__ = ["browser", "served_database"]  # the fixtures, shared with other served tests


async def _vendor_page(request: Request) -> HTMLResponse:
    """The vendor's settings page: the portal in an iframe, and a log of the messages its
    window receives (``window.received``, also shown on the page)."""
    src = escape(request.query_params["src"])
    return HTMLResponse(
        "<!doctype html><html><head><title>Vendor settings</title></head><body>"
        "<h1>Vendor settings</h1><ol id=log></ol>"
        f'<iframe title="Admin portal" src="{src}" width="1000" height="800"></iframe>'
        "<script>window.received = [];"
        "window.addEventListener('message', function (e) {"
        "  window.received.push({origin: e.origin, data: e.data});"
        "  var li = document.createElement('li');"
        "  li.textContent = e.origin + ' ' + JSON.stringify(e.data);"
        "  document.getElementById('log').appendChild(li);"
        "});</script></body></html>"
    )


@dataclass
class Embedding:
    site: PortalSite
    allowed: str
    """The vendor's origin, allowed to frame the portal."""
    other: str
    """The same page's other origin (127.0.0.1), not allowed."""

    def vendor_page(self, origin: str, src: str) -> str:
        return f"{origin}/settings?src={src.replace('&', '%26').replace('?', '%3F')}"


@pytest.fixture
def embedding(
    served_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Embedding]:
    app_port = free_port()
    allowed, other = f"http://localhost:{app_port}", f"http://127.0.0.1:{app_port}"
    vendor = Starlette(routes=[Route("/settings", _vendor_page)])
    with (
        serve_app(vendor, app_port),
        portal_site(
            served_database,
            monkeypatch,
            tmp_path / "server.log",
            host="localhost",
            frame_ancestors=[allowed],
        ) as site,
    ):
        yield Embedding(site, allowed, other)


def _received(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("window.received")
    return found


def _links_opened(site: PortalSite, organization_id: str) -> int:
    app = site.app()
    try:
        return sum(1 for e in app.list_history(organization_id) if e.event == "PortalLinkOpened")
    finally:
        app.close()


def test_the_portal_works_inside_a_frame_of_an_allowed_origin_and_tells_it_each_step(
    embedding: Embedding, browser: Browser
) -> None:
    site = embedding.site
    org = site.organization()
    link = site.portal_link(org, ["dir_sync", "domain_verification"])
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    page = context.new_page()
    page.goto(embedding.vendor_page(embedding.allowed, link))
    portal = page.frame_locator("iframe[title='Admin portal']")
    expect(portal.get_by_role("heading", level=1)).to_have_text("Acme")  # the link opened
    portal.get_by_role("link", name="Directory sync").first.click()
    portal.get_by_label("Name", exact=True).fill("Okta")
    portal.get_by_role("button", name="Create directory").click()
    expect(portal.get_by_role("alert")).to_contain_text("Copy the token now")
    portal.get_by_role("link", name="I have copied the token").click()
    portal.get_by_role("button", name="Enable").click()
    expect(portal.get_by_role("status")).to_contain_text("The directory is enabled")
    expect(page.locator("#log li")).to_have_count(2)
    screenshot(page, "portal-embedded")

    tenantry_origin = site.server.base_url
    assert _received(page) == [
        {
            "origin": tenantry_origin,
            "data": {"type": "tenantry.portal", "step": "dir_sync.created"},
        },
        {
            "origin": tenantry_origin,
            "data": {"type": "tenantry.portal", "step": "dir_sync.enabled"},
        },
    ]
    assert _links_opened(site, org) == 1
    app = site.app()
    try:
        (directory,) = app.list_directories(org)
        assert directory.active
    finally:
        app.close()
    context.close()


def test_another_origin_is_refused_the_portal_and_hears_nothing(
    embedding: Embedding, browser: Browser
) -> None:
    site = embedding.site
    org = site.organization()
    link = site.portal_link(org, ["dir_sync"])
    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(_text(m)))
    page.goto(embedding.vendor_page(embedding.other, link))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vendor settings")
    deadline = time.monotonic() + 10
    while not any("frame-ancestors" in line for line in console):
        assert time.monotonic() < deadline, console
        page.wait_for_timeout(100)
    refusal = next(line for line in console if "frame-ancestors" in line)
    assert "violates the following Content Security Policy directive" in refusal
    assert "blocked" in refusal
    assert embedding.allowed in refusal  # the policy named the only origin allowed
    frame = page.frame_locator("iframe[title='Admin portal']")
    expect(frame.get_by_role("heading")).to_have_count(0)  # nothing of tenantry's rendered
    page.wait_for_timeout(1000)
    assert _received(page) == []
    assert _links_opened(site, org) == 0  # the refused page could not post the link
    # The same link, framed by the allowed origin, still opens: it was not used up.
    allowed = context.new_page()
    allowed.goto(embedding.vendor_page(embedding.allowed, link))
    portal = allowed.frame_locator("iframe[title='Admin portal']")
    expect(portal.get_by_role("heading", level=1)).to_have_text("Acme")
    assert _links_opened(site, org) == 1
    context.close()


def test_a_completed_step_is_not_posted_to_a_parent_the_portal_was_not_framed_by(
    embedding: Embedding, browser: Browser
) -> None:
    """Opened at the top level (no parent window), a page that completes a step marks it and
    posts it to no one."""
    site = embedding.site
    org = site.organization()
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(
        "window.__posted = [];"
        "const post = window.postMessage.bind(window);"
        "window.postMessage = function (m, o) { window.__posted.push([m, o]); return post(m, o); };"
    )
    page.goto(site.portal_link(org, ["dir_sync"]))
    page.wait_for_url(f"{site.server.base_url}/portal")
    page.goto(f"{site.server.base_url}/portal/directories")
    page.get_by_role("button", name="Create directory").click()
    expect(page.get_by_role("alert")).to_contain_text("Copy the token now")
    assert page.locator("body").get_attribute("data-completed-step") == "dir_sync.created"
    assert page.evaluate("window.__posted") == []
    context.close()


def _text(message: ConsoleMessage) -> str:
    return message.text
