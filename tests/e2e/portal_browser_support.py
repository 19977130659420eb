"""What the portal's browser tests share: a served tenantry whose domain verification asks a
test DNS server, an organization with a portal link into it, and screenshots of the pages
(into ``docs/screenshots/`` when ``TENANTRY_SCREENSHOTS=1``)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

import tenantry
from tests.dns_server import DnsServer, dns_server
from tests.e2e.http_support import Server, free_port, serve

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class PortalSite:
    """``tenantry serve`` at ``server.base_url`` (also its public base URL) and the DNS server its
    domain verification asks."""

    server: Server
    dns: DnsServer

    def organization(self, name: str = "Acme", *, dir_sync: bool = True) -> str:
        app = tenantry.connect(self.server.database_url)
        try:
            org = app.create_organization(name).id
            if dir_sync:
                app.update_organization_settings(org, {"dir_sync": True})
            return org
        finally:
            app.close()

    def portal_link(self, organization_id: str, features: Sequence[str]) -> str:
        """A new single-use portal link's location, as the vendor's backend gets it: from the
        hosted API (``PUT …/portal_links``) of the served tenantry."""
        with self.server.client() as api:
            answer = api.put(
                f"/api/v1/organizations/{organization_id}/portal_links",
                params=[("features", f) for f in features],
            )
        assert answer.status_code == 200, answer.text
        location: str = answer.json()["link"]["location"]
        return location

    def app(self) -> tenantry.Tenantry:
        """The application on the server's database, to check what the pages did."""
        return tenantry.connect(self.server.database_url)


@contextmanager
def portal_site(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    log: Path,
    *,
    host: str = "127.0.0.1",
    frame_ancestors: Sequence[str] = (),
) -> Iterator[PortalSite]:
    """Serves tenantry reached as ``http://{host}:<port>`` (its SSO base URL: links and SCIM
    endpoints point there), framed by ``frame_ancestors`` only."""
    port = free_port()
    with dns_server() as dns:
        monkeypatch.setenv("TENANTRY_SSO_BASE_URL", f"http://{host}:{port}")
        monkeypatch.setenv("TENANTRY_DNS_NAMESERVERS", dns.address)
        monkeypatch.setenv("TENANTRY_PORTAL_FRAME_ANCESTORS", " ".join(frame_ancestors))
        monkeypatch.setenv("TENANTRY_VENDOR_NAME", "Vendorly")
        with serve(database_url, log=log, port=port) as server:
            server.base_url = f"http://{host}:{port}"
            yield PortalSite(server, dns)


def screenshot(page: Page, name: str) -> None:
    """Saves the page as ``docs/screenshots/{name}.png`` when ``TENANTRY_SCREENSHOTS=1``."""
    if os.environ.get("TENANTRY_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
