"""What the portal's browser tests share: a served tenantry whose domain verification asks a
test DNS server, an organization with a portal link into it, the SSO tests' SAML IdP on another
site with its metadata to upload, the pages' copy buttons and completed steps, and screenshots of
the pages (into ``docs/screenshots/`` when ``TENANTRY_SCREENSHOTS=1``)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from playwright.sync_api import FilePayload, Page, expect
from starlette.applications import Starlette
from starlette.routing import Route

import tenantry
from tests.dns_server import DnsServer, dns_server
from tests.e2e.http_support import Server, free_port, serve, serve_app
from tests.e2e.test_browser_sign_in import SamlIdpSite
from tests.integration.saml_idp import FakeSamlIdp
from tests.sso_support import idp_metadata_xml

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class PortalSite:
    """``tenantry serve`` at ``server.base_url`` (also its public base URL) and the DNS server its
    domain verification asks."""

    server: Server
    dns: DnsServer

    def organization(self, name: str = "Acme", *, dir_sync: bool = True, sso: bool = False) -> str:
        app = tenantry.connect(self.server.database_url)
        try:
            org = app.create_organization(name).id
            wanted = [f for f, on in (("dir_sync", dir_sync), ("sso", sso)) if on]
            if wanted:
                app.update_organization_settings(org, dict.fromkeys(wanted, True))
            return org
        finally:
            app.close()

    def new_portal_link(self, organization_id: str, features: Sequence[str]) -> dict[str, str]:
        """A new single-use portal link (``id``, ``location``, ``expire_time``), as the vendor's
        backend gets it: from the hosted API (``PUT …/portal_links``) of the served tenantry."""
        with self.server.client() as api:
            answer = api.put(
                f"/api/v1/organizations/{organization_id}/portal_links",
                params=[("features", f) for f in features],
            )
        assert answer.status_code == 200, answer.text
        link: dict[str, str] = answer.json()["link"]
        return link

    def portal_link(self, organization_id: str, features: Sequence[str]) -> str:
        """A new single-use portal link's location (see :meth:`new_portal_link`)."""
        return self.new_portal_link(organization_id, features)["location"]

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


@contextmanager
def saml_idp(sp_base_url: str) -> Iterator[SamlIdpSite]:
    """The SSO tests' SAML IdP, served on another site (``localhost``, not ``127.0.0.1``) until
    the block ends: it signs the user in at once and posts the response to the ACS of the SP at
    ``sp_base_url`` (name the connection in its ``connection_id`` once it exists)."""
    port = free_port()
    idp = SamlIdpSite(FakeSamlIdp(), f"http://localhost:{port}/sso", sp_base_url)
    with serve_app(Starlette(routes=[Route("/sso", idp.sso)]), port):
        yield idp


def idp_metadata_file(idp: SamlIdpSite, name: str = "okta.xml") -> FilePayload:
    """The IdP's SAML metadata (entity id, SSO URL, signing certificate) as a file to upload."""
    cert = x509.load_pem_x509_certificate(idp.idp.keys.cert_pem.encode())
    metadata = idp_metadata_xml(cert, idp.idp.entity_id, idp.sso_url)
    return {"name": name, "mimeType": "application/xml", "buffer": metadata.encode()}


def copied(page: Page, label: str) -> str:
    """Clicks the copy button of ``label`` and answers what the clipboard then holds (the
    context needs the clipboard permissions)."""
    button = page.get_by_role("button", name=f"Copy {label}")
    button.click()
    expect(button).to_have_text("Copied")
    text: str = page.evaluate("navigator.clipboard.readText()")
    return text


def completed_step(page: Page) -> str | None:
    """The step the page says it completed (what it posts to a framing parent), if any."""
    return page.locator("body").get_attribute("data-completed-step")


def screenshot(page: Page, name: str) -> None:
    """Saves the page as ``docs/screenshots/{name}.png`` when ``TENANTRY_SCREENSHOTS=1``."""
    if os.environ.get("TENANTRY_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
