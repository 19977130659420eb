"""The web pages' shell, in process: every asset (and /docs) served by tenantry itself, the
security headers, and the doors — a link's GET never uses it up, a page without a session says
how to get one, a form without its token is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tenantry.adapters.web import WebSettings

ALLOWED = "https://app.vendor.example"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    web = WebSettings(vendor_name="Vendorly", accent_color="#aa3300", frame_ancestors=(ALLOWED,))
    with TestClient(create_app("memory://", web=web)) as c:
        yield c


def test_docs_load_swagger_ui_from_tenantry_not_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_pages_assets_are_served_and_the_accent_colour_is_the_vendors(client: TestClient) -> None:
    assert client.get("/web/static/tenantry.css").status_code == 200
    assert "postMessage" in client.get("/web/static/portal.js").text
    brand = client.get("/web/brand.css")
    assert brand.headers["content-type"].startswith("text/css")
    assert "--accent: #aa3300" in brand.text


def test_opening_a_link_by_get_shows_a_form_and_uses_nothing(client: TestClient) -> None:
    page = client.get("/portal/open", params={"token": "lnk-secret-value"})
    assert page.status_code == 200
    assert 'action="/portal/open"' in page.text
    assert "data-autosubmit" in page.text
    csp = page.headers["content-security-policy"]
    assert f"frame-ancestors {ALLOWED}" in csp
    assert "script-src 'self'" in csp
    assert "<script>" not in page.text  # no inline script: the CSP would block it


def test_a_link_without_its_token_is_refused_naming_the_field(client: TestClient) -> None:
    page = client.get("/portal/open")
    assert page.status_code == 400
    assert "the link has no token" in page.text


def test_a_portal_page_without_a_session_says_the_session_ended(client: TestClient) -> None:
    page = client.get("/portal")
    assert page.status_code == 401
    assert "session_missing" in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_the_dashboard_without_a_session_tells_how_to_sign_in(client: TestClient) -> None:
    page = client.get("/dashboard")
    assert page.status_code == 401
    assert "tenantry dashboard login" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_signing_out_without_a_session_is_refused_not_a_500(client: TestClient) -> None:
    assert client.post("/portal/sign-out", data={"csrf_token": "x"}).status_code == 401


def test_the_settings_refuse_a_colour_that_is_not_one() -> None:
    from tenantry.domain.errors import InvalidField

    with pytest.raises(InvalidField, match="#rrggbb"):
        WebSettings(accent_color="red; background: url(x)")


def test_the_settings_refuse_a_frame_ancestor_that_is_not_an_origin() -> None:
    from tenantry.domain.errors import InvalidField

    with pytest.raises(InvalidField, match="not an origin"):
        WebSettings.from_env({"TENANTRY_PORTAL_FRAME_ANCESTORS": "https://a.example/path"})
