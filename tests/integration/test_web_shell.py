"""The web pages' shell, in process: every asset (and /docs) served by tenantry itself, the
security headers, and the doors — a link's GET never uses it up, a page without a session says
how to get one, a form without its token is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tenantry.adapters.web import WebSettings
from tenantry.application.app import Tenantry

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


# --- the doors, with real links -------------------------------------------------------------


def _token(location: str) -> str:
    return parse_qs(urlsplit(location).query)["token"][0]


def _portal_link(client: TestClient, **kwargs: Any) -> tuple[str, str]:
    """(organization id, the token of a new portal link) in a new organization."""
    t: Tenantry = client.app.state.tenantry  # type: ignore[attr-defined]
    org = t.create_organization("Portal Co").id
    return org, _token(t.generate_portal_link(org, **kwargs).location)


def test_a_link_opens_a_session_of_its_organization_once(client: TestClient) -> None:
    org, token = _portal_link(client, features=["sso"])
    opened = client.post("/portal/open", data={"token": token}, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/portal"
    cookie = opened.headers["set-cookie"]
    assert "tenantry_portal=" in cookie
    assert "HttpOnly" in cookie
    assert "Path=/portal" in cookie
    assert "samesite=lax" in cookie.lower()  # plain HTTP: the documented fallback
    home = client.get("/portal")
    assert home.status_code == 200
    assert "Portal Co" in home.text
    assert 'href="/portal/sso"' in home.text
    assert 'href="/portal/directories"' not in home.text  # not a feature of this link
    client.cookies.clear()
    again = client.post("/portal/open", data={"token": token})
    assert again.status_code == 401
    assert "portal_link_used" in again.text
    assert token not in again.text
    t: Tenantry = client.app.state.tenantry  # type: ignore[attr-defined]
    opened_events = [e for e in t.list_history(org) if e.event == "PortalLinkOpened"]
    assert len(opened_events) == 1
    assert opened_events[0].actor.startswith("portal:lnk_")


def test_over_tls_the_session_cookie_works_inside_a_cross_site_iframe() -> None:
    with TestClient(create_app("memory://"), base_url="https://testserver") as tls:
        _, token = _portal_link(tls)
        opened = tls.post("/portal/open", data={"token": token}, follow_redirects=False)
        cookie = opened.headers["set-cookie"].lower()
        assert "secure" in cookie
        assert "samesite=none" in cookie


def test_a_form_without_the_sessions_token_is_refused_and_signs_no_one_out(
    client: TestClient,
) -> None:
    _, token = _portal_link(client)
    client.post("/portal/open", data={"token": token})
    refused = client.post("/portal/sign-out", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert "form_token_invalid" in refused.text
    assert client.get("/portal").status_code == 200
    page = client.get("/portal").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    out = client.post("/portal/sign-out", data={"csrf_token": csrf[1]})
    assert out.status_code == 200
    client.cookies.clear()
    assert client.get("/portal").status_code == 401


def test_a_revoked_links_session_ends(client: TestClient) -> None:
    org, token = _portal_link(client)
    client.post("/portal/open", data={"token": token})
    assert client.get("/portal").status_code == 200
    t: Tenantry = client.app.state.tenantry  # type: ignore[attr-defined]
    t.revoke_portal_links(org, actor="test:revoker")
    ended = client.get("/portal")
    assert ended.status_code == 401
    assert "Your session has ended" in ended.text
    client.cookies.clear()


def test_a_dashboard_login_opens_the_dashboard(client: TestClient) -> None:
    t: Tenantry = client.app.state.tenantry  # type: ignore[attr-defined]
    login = t.issue_dashboard_login("ada@vendor.example", actor="cli:ada")
    opened = client.post(
        "/dashboard/login", data={"token": _token(login.location)}, follow_redirects=False
    )
    assert opened.status_code == 303
    assert "Path=/dashboard" in opened.headers["set-cookie"]
    home = client.get("/dashboard", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/dashboard/organizations"
    client.cookies.clear()


def test_an_unknown_page_is_a_page_not_the_apis_json(client: TestClient) -> None:
    page = client.get("/portal/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no such page" in page.text
    api = client.get("/api/v1/no/such/route")
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")


def test_a_required_field_and_extra_attributes_render_as_attributes() -> None:
    from tenantry.adapters.web.templating import environment

    macros = environment().get_template("macros.html").module
    html = str(macros.field("email", "E-mail", required=True, help="h", attrs="autocomplete=off"))  # type: ignore[attr-defined]
    assert "required aria-describedby" in html
    assert " autocomplete=off>" in html
