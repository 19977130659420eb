"""The SSO pages of the portal and the dashboard, in process (FastAPI's TestClient over
``create_app``): the forms, what each records and as whom, refusals shown next to the field they
name with nothing recorded, the CSRF token and the ``sso`` gate.

Sessions are real: each test opens a portal link (or a dashboard login link) the application
generated."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from httpx2 import Response

import tenantry
from tenantry.adapters.http import create_app
from tenantry.adapters.web import WebSettings
from tenantry.application.app import Tenantry
from tenantry.application.sso_config import SsoConfig
from tests.sso_support import idp_metadata_xml, make_certificate, pem
from tests.support import FakeClock

BASE = "http://testserver"
ENTITY = "https://idp.example.com/metadata"
SSO_URL = "https://idp.example.com/sso"


@dataclass
class Portal:
    """A browser with a portal session (``actor``) on ``org``, and the app behind it."""

    client: TestClient
    t: Tenantry
    org: str
    actor: str

    def page(self, path: str) -> Response:
        return self.client.get(f"/portal{path}")

    def token(self, path: str = "/sso") -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.page(path).text)
        assert found is not None
        return found.group(1)

    def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> Response:
        form = {"csrf_token": self.token()} | (data or {})
        return self.client.post(
            f"/portal{path}",
            data=form,
            files=files,
            follow_redirects=False,
        )

    def watermark(self) -> int:
        return self.t.recorder.max_notification_id() or 0

    def recorded_since(self, mark: int) -> list[tuple[str, str]]:
        """(event topic, actor) of every event recorded after ``mark``."""
        return [
            (n.topic.split(":", 1)[1], json.loads(n.state).get("actor", ""))
            for n in self.t.recorder.select_notifications(start=mark + 1, limit=1000)
        ]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app("memory://", web=WebSettings(vendor_name="Vendorly"))
    t: Tenantry = app.state.tenantry
    t.sso_config = SsoConfig(base_url=BASE, secret_keys=(Fernet.generate_key().decode(),))
    with TestClient(app, base_url=BASE) as c:
        yield c


def _token(location: str) -> str:
    return parse_qs(urlsplit(location).query)["token"][0]


def _portal(client: TestClient, features: list[str]) -> Portal:
    """A new organization (``sso`` on) and a portal session of a link to its ``features``."""
    t: Tenantry = client.app.state.tenantry  # type: ignore[attr-defined]
    org = t.create_organization("Acme").id
    t.update_organization_settings(org, [("sso", True)])
    link = t.generate_portal_link(org, features, actor="vendor:test")
    client.cookies.clear()
    opened = client.post("/portal/open", data={"token": _token(link.location)})
    assert opened.status_code == 200, opened.text
    return Portal(client, t, org, f"portal:{link.id}")


@pytest.fixture
def portal(client: TestClient) -> Portal:
    return _portal(client, ["sso", "dir_sync"])


def _saml(portal: Portal, guide: str = "okta-saml") -> str:
    created = portal.post("/sso/new", {"guide": guide})
    assert created.status_code == 303, created.text
    found = re.fullmatch(r"/portal/sso/(conn_\w+)\?done=created", created.headers["location"])
    assert found is not None, created.headers["location"]
    return found.group(1)


def _metadata(days: int = 365) -> str:
    now = datetime.now(UTC)
    born = now - timedelta(days=400)
    cert = make_certificate(not_before=born, not_after=now + timedelta(days=days))
    return idp_metadata_xml(cert, ENTITY, SSO_URL)


def test_a_new_saml_connection_is_created_by_the_sessions_actor_and_shows_its_sp_values(
    portal: Portal,
) -> None:
    mark = portal.watermark()
    conn = _saml(portal)
    recorded = portal.recorded_since(mark)
    assert ("Connection.Created", portal.actor) in recorded
    assert {actor for _, actor in recorded} == {portal.actor}
    made = portal.t.get_connection(portal.org, conn)
    assert (made.type, made.provider, made.enabled) == ("SAML", "OKTA", False)
    page = portal.page(f"/sso/{conn}")
    assert page.status_code == 200
    assert "Okta" in page.text
    assert "Audience URI (SP Entity ID)" in page.text
    assert f"{BASE}/sso/v1/saml/{conn}/acs" in page.text
    assert 'data-copy="c-acs-url"' in page.text
    assert 'data-copy="c-sp-entity-id"' in page.text
    assert "data-completed-step" not in page.text  # nothing completed yet
    needed = re.search(r'<dd id="missing">([^<]*)</dd>', page.text)
    assert needed is not None
    assert needed.group(1) == "IdP entity ID, IdP SSO URL, signing certificate"
    assert "Test connection" not in page.text  # nothing to test before it is configured


def test_the_list_shows_each_connection_with_its_state_and_last_test(portal: Portal) -> None:
    assert "No connection yet" in portal.page("/sso").text
    conn = _saml(portal, "entra-saml")
    portal.t.configure_saml_connection(portal.org, conn, metadata_xml=_metadata())
    portal.t.record_connection_test(
        portal.org, conn, success=False, failure_reason="wrong_audience"
    )
    listed = portal.page("/sso").text
    assert f'href="/portal/sso/{conn}"' in listed
    assert "Microsoft Entra ID" in listed
    assert "FAILURE" in listed
    assert "wrong_audience" in listed


def test_pasted_metadata_configures_the_connection_and_marks_the_step(portal: Portal) -> None:
    conn = _saml(portal)
    mark = portal.watermark()
    saved = portal.post(f"/sso/{conn}/saml", {"metadata_xml": _metadata()})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/portal/sso/{conn}?done=configured"
    assert portal.recorded_since(mark) == [("Connection.Configured", portal.actor)]
    saml = portal.t.get_connection(portal.org, conn).saml_config
    assert saml is not None
    assert (saml.idp_entity_id, saml.idp_sso_url) == (ENTITY, SSO_URL)
    page = portal.page(f"/sso/{conn}?done=configured").text
    assert 'data-completed-step="sso.configured"' in page
    assert "Settings saved." in page
    assert ENTITY in page
    assert "VALID" in page


def test_uploaded_metadata_and_an_uploaded_certificate_are_read_as_files(portal: Portal) -> None:
    conn = _saml(portal, "custom-saml")
    files = {"metadata_file": ("idp.xml", _metadata().encode(), "application/xml")}
    assert portal.post(f"/sso/{conn}/saml", files=files).status_code == 303
    now = datetime.now(UTC)
    newer = make_certificate(
        "rotated.example.com", not_before=now - timedelta(days=1), not_after=now + timedelta(days=9)
    )
    files = {"certificate_file": ("idp.pem", pem(newer).encode(), "application/x-pem-file")}
    assert portal.post(f"/sso/{conn}/saml", files=files).status_code == 303
    saml = portal.t.get_connection(portal.org, conn).saml_config
    assert saml is not None
    assert [c.subject for c in saml.idp_certificates] == ["CN=rotated.example.com"]
    page = portal.page(f"/sso/{conn}").text
    assert "EXPIRING" in page
    assert re.search(r"expires in [89] days", page), "the warning names the days left"


def test_fields_one_by_one_configure_a_connection(portal: Portal) -> None:
    conn = _saml(portal, "google-saml")
    now = datetime.now(UTC)
    cert = make_certificate(not_before=now - timedelta(days=1), not_after=now + timedelta(days=99))
    form = {"idp_entity_id": ENTITY, "sso_url": SSO_URL, "certificate_pem": pem(cert)}
    assert portal.post(f"/sso/{conn}/saml", form).status_code == 303
    assert portal.t.get_connection(portal.org, conn).missing == []


@pytest.mark.parametrize(
    ("form", "field", "rule"),
    [
        ({"metadata_xml": "<not xml"}, "metadata_xml", "must be well-formed XML"),
        ({"sso_url": "ftp://idp.example.com"}, "sso_url", "must be an https:// URL"),
        ({"certificate_pem": "not a certificate"}, "certificate_pem", "X.509 certificate in PEM"),
    ],
)
def test_a_refused_saml_form_names_its_field_keeps_what_was_typed_and_records_nothing(
    portal: Portal, form: dict[str, str], field: str, rule: str
) -> None:
    conn = _saml(portal)
    mark = portal.watermark()
    refused = portal.post(f"/sso/{conn}/saml", form | {"idp_entity_id": "kept-as-typed"})
    assert refused.status_code == 400
    error = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', refused.text)
    assert error is not None, refused.text
    assert rule in error.group(1)
    assert f'id="f-{field}"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert 'value="kept-as-typed"' in refused.text
    assert portal.recorded_since(mark) == []


def test_an_empty_saml_form_asks_for_the_metadata_or_the_settings(portal: Portal) -> None:
    conn = _saml(portal)
    mark = portal.watermark()
    refused = portal.post(f"/sso/{conn}/saml", {"metadata_xml": "  ", "sso_url": ""})
    assert refused.status_code == 400
    assert re.search(r'id="e-metadata_xml">give the identity provider', refused.text)
    assert portal.recorded_since(mark) == []


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("metadata_file", b"<x/>" * 300_000, "must be at most 1000000 bytes"),
        ("certificate_file", b"\xff\xfe binary", "must be a text file"),
    ],
)
def test_an_upload_that_is_no_metadata_or_certificate_is_refused_next_to_it(
    portal: Portal, name: str, content: bytes, rule: str
) -> None:
    conn = _saml(portal)
    mark = portal.watermark()
    refused = portal.post(f"/sso/{conn}/saml", files={name: ("f", content, "text/plain")})
    assert refused.status_code == 400
    assert re.search(rf'id="e-{name}">{rule}', refused.text), refused.text[-2000:]
    assert portal.recorded_since(mark) == []


def test_an_expired_certificate_in_the_metadata_is_refused_next_to_the_metadata(
    portal: Portal,
) -> None:
    conn = _saml(portal)
    mark = portal.watermark()
    files = {"metadata_file": ("idp.xml", _metadata(days=-2).encode(), "text/xml")}
    refused = portal.post(f"/sso/{conn}/saml", files=files)
    assert refused.status_code == 400
    assert re.search(r'id="e-metadata_file">[^<]*expired', refused.text), refused.text
    assert portal.recorded_since(mark) == []


def test_an_oidc_connection_keeps_its_secret_unseen(portal: Portal) -> None:
    conn = _saml(portal, "okta-oidc")
    page = portal.page(f"/sso/{conn}").text
    assert f"{BASE}/sso/v1/oidc/{conn}/callback" in page
    form = {
        "issuer": "https://acme.okta.example",
        "client_id": "0oa-client",
        "client_secret": "s3cret-value-never-shown",
    }
    mark = portal.watermark()
    assert portal.post(f"/sso/{conn}/oidc", form).status_code == 303
    assert portal.recorded_since(mark) == [("Connection.Configured", portal.actor)]
    page = portal.page(f"/sso/{conn}").text
    assert "s3cret-value-never-shown" not in page
    assert "set (never shown)" in page
    refused = portal.post(f"/sso/{conn}/oidc", form | {"issuer": "not a url"})
    assert refused.status_code == 400
    assert re.search(r'id="e-issuer">must be an https:// URL', refused.text)
    assert "s3cret-value-never-shown" not in refused.text  # not even the one just typed
    assert 'value="0oa-client"' in refused.text
    no_openid = portal.post(f"/sso/{conn}/oidc", {"scopes": "email profile"})
    assert re.search(r'id="e-scopes">must include openid', no_openid.text)


def test_enable_and_disable_record_the_sessions_actor(portal: Portal) -> None:
    conn = _saml(portal)
    assert portal.post(f"/sso/{conn}/saml", {"metadata_xml": _metadata()}).status_code == 303
    mark = portal.watermark()
    enabled = portal.post(f"/sso/{conn}/enable")
    assert enabled.headers["location"] == f"/portal/sso/{conn}?done=enabled"
    page = portal.page(f"/sso/{conn}?done=enabled").text
    assert 'data-completed-step="sso.enabled"' in page
    assert "Disable" in page
    assert portal.post(f"/sso/{conn}/disable").status_code == 303
    assert portal.recorded_since(mark) == [
        ("Connection.Enabled", portal.actor),
        ("Connection.Disabled", portal.actor),
    ]
    assert not portal.t.get_connection(portal.org, conn).enabled


def test_enabling_with_the_sso_feature_off_says_why_and_records_nothing(portal: Portal) -> None:
    conn = _saml(portal)
    assert portal.post(f"/sso/{conn}/saml", {"metadata_xml": _metadata()}).status_code == 303
    portal.t.update_organization_settings(portal.org, [("sso", False)])
    mark = portal.watermark()
    refused = portal.post(f"/sso/{conn}/enable")
    assert refused.status_code == 422
    assert 'id="action-error"' in refused.text
    assert "feature_disabled" in refused.text
    assert portal.recorded_since(mark) == []


def test_an_incomplete_connection_cannot_be_enabled_or_tested(portal: Portal) -> None:
    conn = _saml(portal)
    mark = portal.watermark()
    for action in ("enable", "test"):
        refused = portal.post(f"/sso/{conn}/{action}")
        assert refused.status_code == 422, action
        assert "connection_incomplete" in refused.text
    assert portal.recorded_since(mark) == []


def test_test_connection_starts_a_test_login_at_the_identity_provider(portal: Portal) -> None:
    conn = _saml(portal)
    assert portal.post(f"/sso/{conn}/saml", {"metadata_xml": _metadata()}).status_code == 303
    page = portal.page(f"/sso/{conn}").text
    assert re.search(
        r'<form method="post" action="/portal/sso/conn_\w+/test" target="_blank"', page
    )
    mark = portal.watermark()
    started = portal.post(f"/sso/{conn}/test")
    assert started.status_code == 200
    link = started.headers["refresh"].split("url=", 1)[1]
    assert link.startswith(f"{BASE}/oauth/authorize?test=")
    assert link.replace("&", "&amp;") in started.text  # the same link to follow by hand
    to_idp = portal.client.get(link.removeprefix(BASE), follow_redirects=False)
    assert to_idp.status_code == 302
    assert to_idp.headers["location"].startswith(f"{SSO_URL}?SAMLRequest=")
    assert portal.recorded_since(mark) == []  # the outcome is recorded when the IdP answers


def test_without_an_sso_secret_key_the_test_says_so_on_the_page(portal: Portal) -> None:
    conn = _saml(portal)
    portal.t.configure_saml_connection(portal.org, conn, metadata_xml=_metadata())
    keyed = portal.t.sso_config
    portal.t.sso_config = SsoConfig(base_url=BASE)
    try:
        refused = portal.post(f"/sso/{conn}/test")
    finally:
        portal.t.sso_config = keyed
    assert refused.status_code == 422
    assert re.search(r'id="action-error">[^<]*TENANTRY_SSO_SECRET_KEY', refused.text)


def test_the_recorded_test_outcome_is_shown_exactly(portal: Portal) -> None:
    conn = _saml(portal)
    portal.t.configure_saml_connection(portal.org, conn, metadata_xml=_metadata())
    portal.t.record_connection_test(portal.org, conn, success=False, failure_reason="bad_signature")
    page = portal.page(f"/sso/{conn}").text
    shown = re.search(r'<dd id="test-result">(.*?)</dd>', page, re.S)
    assert shown is not None
    assert "FAILURE" in shown.group(1)
    assert "<code>bad_signature</code>" in shown.group(1)
    portal.t.record_connection_test(portal.org, conn, success=True)
    page = portal.page(f"/sso/{conn}").text
    assert 'data-completed-step="sso.tested"' in page
    shown = re.search(r'<dd id="test-result">(.*?)</dd>', page, re.S)
    assert shown is not None
    assert "SUCCESS" in shown.group(1)
    assert "Reason" not in shown.group(1)


def test_saving_the_same_settings_again_says_nothing_changed(portal: Portal) -> None:
    conn = _saml(portal)
    metadata = _metadata()
    assert portal.post(f"/sso/{conn}/saml", {"metadata_xml": metadata}).status_code == 303
    mark = portal.watermark()
    again = portal.post(f"/sso/{conn}/saml", {"metadata_xml": metadata})
    assert again.status_code == 422
    assert re.search(
        r'class="alert" role="alert">Nothing was saved: [^<]*nothing changed', again.text
    )
    assert portal.recorded_since(mark) == []


def test_a_deleted_connection_leaves_the_list(portal: Portal) -> None:
    conn = _saml(portal)
    mark = portal.watermark()
    deleted = portal.post(f"/sso/{conn}/delete")
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/portal/sso"
    assert ("Connection.Deleted", portal.actor) in portal.recorded_since(mark)
    assert conn not in portal.page("/sso").text
    assert portal.page(f"/sso/{conn}").status_code == 404


def test_the_sp_metadata_downloads_as_a_file(portal: Portal) -> None:
    conn = _saml(portal)
    answer = portal.page(f"/sso/{conn}/sp-metadata.xml")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/samlmetadata+xml")
    assert "attachment" in answer.headers["content-disposition"]
    assert f'entityID="{BASE}/sso/v1/saml/{conn}"' in answer.text


def test_a_form_without_the_sessions_token_is_refused_and_records_nothing(
    portal: Portal,
) -> None:
    conn = _saml(portal)
    mark = portal.watermark()
    for token in (None, "forged"):
        form = {"metadata_xml": _metadata()} | ({"csrf_token": token} if token else {})
        refused = portal.client.post(f"/portal/sso/{conn}/saml", data=form)
        assert refused.status_code == 403
        assert "form_token_invalid" in refused.text
    assert portal.client.post("/portal/sso/new", data={"guide": "okta-saml"}).status_code == 403
    assert portal.recorded_since(mark) == []


def test_a_session_without_sso_sees_none_of_its_pages_and_changes_nothing(
    client: TestClient,
) -> None:
    portal = _portal(client, ["dir_sync"])
    conn = portal.t.create_connection(portal.org, "SAML").id
    mark = portal.watermark()
    for path in ("/sso", "/sso/new", f"/sso/{conn}", f"/sso/{conn}/sp-metadata.xml"):
        refused = portal.page(path)
        assert refused.status_code == 403, path
        assert "feature_not_in_scope" in refused.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', portal.page("/portal").text or "")
    form = {"csrf_token": token.group(1) if token else "", "guide": "okta-saml"}
    assert portal.client.post("/portal/sso/new", data=form).status_code == 403
    assert portal.client.post(f"/portal/sso/{conn}/enable", data=form).status_code == 403
    assert portal.recorded_since(mark) == []


def test_another_organizations_connection_is_not_found(portal: Portal) -> None:
    other = portal.t.create_organization("Other").id
    theirs = portal.t.create_connection(other, "SAML").id
    assert portal.page(f"/sso/{theirs}").status_code == 404
    mark = portal.watermark()
    refused = portal.post(f"/sso/{theirs}/saml", {"metadata_xml": _metadata()})
    assert refused.status_code == 404
    assert "connection_not_found" in refused.text
    assert portal.recorded_since(mark) == []


def test_a_malformed_connection_id_is_refused_as_a_page(portal: Portal) -> None:
    for path in ("/sso/conn_!!/saml", "/sso/nope/enable", "/sso/nope/test"):
        refused = portal.post(path, {"metadata_xml": _metadata()})
        assert refused.status_code == 400, path
        assert refused.headers["content-type"].startswith("text/html")
        assert "connection_id" in refused.text
    assert portal.page("/sso/nope").status_code == 400


def test_an_unknown_provider_is_refused_next_to_the_choice(portal: Portal) -> None:
    mark = portal.watermark()
    refused = portal.post("/sso/new", {"guide": "acme-idp"})
    assert refused.status_code == 400
    assert re.search(r'id="e-guide">pick one of the identity providers', refused.text)
    assert portal.recorded_since(mark) == []


def test_every_provider_has_a_guide_and_its_pages_render(portal: Portal) -> None:
    page = portal.page("/sso/new").text
    keys = re.findall(r'name="guide" id="g-([\w-]+)"', page)
    assert len(keys) == 10
    for name in ("Okta", "Microsoft Entra ID", "Google Workspace", "JumpCloud", "OneLogin"):
        assert name in page
    for key in keys:
        conn = _saml(portal, key)
        shown = portal.page(f"/sso/{conn}")
        assert shown.status_code == 200, key
        assert "Vendorly" in shown.text  # the steps name the vendor's app
        assert 'class="copy"' in shown.text  # at least one value with its copy button


def test_the_dashboard_mounts_the_same_pages_for_any_organization(client: TestClient) -> None:
    t: Tenantry = client.app.state.tenantry  # type: ignore[attr-defined]
    org = t.create_organization("Dash").id
    login = t.issue_dashboard_login("ops@vendor.example", actor="cli:ops")
    client.cookies.clear()
    form = {"token": _token(login.location)}
    assert client.post("/dashboard/login", data=form, follow_redirects=False).status_code == 303
    base = f"/dashboard/organizations/{org}/sso"
    page = client.get(base)
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    mark = t.recorder.max_notification_id() or 0
    created = client.post(
        f"{base}/new",
        data={"csrf_token": token.group(1), "guide": "custom-oidc"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert created.headers["location"].startswith(f"{base}/conn_")
    (conn,) = t.list_connections(org)
    assert (conn.type, conn.provider) == ("OIDC", "CUSTOM")
    actors = {
        json.loads(n.state)["actor"]
        for n in t.recorder.select_notifications(start=mark + 1, limit=100)
    }
    assert actors == {"dashboard:ops@vendor.example"}


def test_a_certificate_that_expired_since_it_was_saved_is_flagged() -> None:
    clock = FakeClock(datetime.now(UTC))
    t = tenantry.connect("memory://", clock=clock)
    t.sso_config = SsoConfig(base_url=BASE, secret_keys=(Fernet.generate_key().decode(),))
    with TestClient(create_app(tenantry=t), base_url=BASE) as client:
        org = t.create_organization("Later").id
        conn = t.create_connection(org, "SAML").id
        t.configure_saml_connection(org, conn, metadata_xml=_metadata(days=10))
        clock.advance(timedelta(days=11))
        link = t.generate_portal_link(org, ["sso"])
        client.post("/portal/open", data={"token": _token(link.location)})
        page = client.get(f"/portal/sso/{conn}").text
        assert '<span class="badge danger">EXPIRED</span>' in page
        assert "has expired: sign-ins signed with it are refused" in page
        listed = client.get("/portal/sso").text
        assert "EXPIRED" in listed
    t.close()
