"""The hosted sign-in over HTTP on SQLite and PostgreSQL, with a real SAML IdP (signed responses)
and a real OIDC provider app: /oauth/authorize → IdP → ACS or callback → the application's
redirect_uri with a one-time code → POST /oauth/token → an ID token verified with /keys. And the
refusals: a reused code, a foreign redirect_uri, an inactive connection, a full organization —
with no secret in any response or stored event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.errors import MembershipNotFound, Unauthenticated
from tests.integration.http_support import token
from tests.integration.oidc_provider import CLIENT_SECRET, FakeOidcProvider
from tests.integration.saml_idp import FakeSamlIdp
from tests.integration.sign_in_support import (
    APP_CALLBACK,
    BASE_URL,
    IDP_SSO_URL,
    Browser,
    acs_path,
    authn_request,
    code_of,
    idp_answer,
    oidc_connection,
    relay_state,
    saml_connection,
)
from tests.support import database


@pytest.fixture(scope="module")
def idp() -> FakeSamlIdp:
    return FakeSamlIdp()


@pytest.fixture(scope="module")
def provider() -> FakeOidcProvider:
    return FakeOidcProvider(lambda: datetime.now(UTC))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    provider: FakeOidcProvider,
) -> Iterator[tuple[TestClient, Tenantry, TestClient]]:
    tmp: Path = tmp_path_factory.mktemp("sign-in")
    with database(request.param, tmp) as url, TestClient(provider.app()) as oidc_http:
        app = create_app(url, sso_http=oidc_http)
        t: Tenantry = app.state.tenantry
        t.configure_sso(
            base_url=BASE_URL,
            secret_keys=[Fernet.generate_key().decode()],
            redirect_uris=[APP_CALLBACK],
        )
        with TestClient(app, base_url=BASE_URL) as client:
            client.app_state = app  # type: ignore[attr-defined]
            yield client, t, oidc_http


@pytest.fixture
def browser(served: tuple[TestClient, Tenantry, TestClient]) -> Browser:
    client, t, _ = served
    client.cookies.clear()
    web = client.app_state.state.clients.create_client("web app")  # type: ignore[attr-defined]
    return Browser(client, t, web.client_id, web.client_secret)


def _org(t: Tenantry, seats: int | None = None) -> str:
    org_id = t.create_organization("Acme").id
    t.update_organization_settings(org_id, [("sso", True)])
    if seats is not None:
        t.upsert_user_management_settings(org_id, seats)
    return org_id


def _saml_login(browser: Browser, idp: FakeSamlIdp, conn_id: str, **authorize: str) -> Any:
    started = browser.authorize(connection_id=conn_id, **authorize)
    assert started.status_code == 302, started.text
    assert started.headers["location"].startswith(IDP_SSO_URL)
    cookie = started.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie
    request = authn_request(started.headers["location"])
    posted = {
        "SAMLResponse": idp_answer(idp, browser.t, conn_id, request.get("ID")),
        "RelayState": relay_state(started.headers["location"]),
    }
    return browser.tenantry.post(acs_path(conn_id), data=posted, follow_redirects=False)


def test_an_sp_initiated_saml_login_ends_with_a_verified_id_token(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    org_id = _org(browser.t)
    conn_id = saml_connection(browser.t, org_id, idp)
    back = code_of(_saml_login(browser, idp, conn_id, nonce="n-1"))
    assert back["state"] == "st-1"
    answer = browser.exchange(back["code"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    claims = browser.verify(answer.json()["id_token"])
    assert claims["sub"].startswith("usr_")
    assert (claims["email"], claims["oid"], claims["conn"]) == ("ada@acme.test", org_id, conn_id)
    assert (claims["name"], claims["roles"], claims["nonce"]) == ("Ada Lovelace", ["admin"], "n-1")
    membership = browser.t.get_membership(org_id, "ada@acme.test")
    assert membership.provisioning_method == "jit_using_sso"
    id_tokens = browser.tenantry.app_state.state.id_tokens  # type: ignore[attr-defined]
    identity = id_tokens.verify(answer.json()["id_token"], browser.client_id)
    assert (identity.user_id, identity.organization_id, identity.roles) == (
        claims["sub"],
        org_id,
        ("admin",),
    )
    with pytest.raises(Unauthenticated):
        id_tokens.verify(answer.json()["id_token"], "cli_another_application")


def test_a_code_is_redeemed_once_and_only_with_its_redirect_uri(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    conn_id = saml_connection(browser.t, _org(browser.t), idp)
    code = code_of(_saml_login(browser, idp, conn_id))["code"]
    wrong = browser.exchange(code, "https://app.example.com/other")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    # the failed attempt used the code up: a code is tried once
    again = browser.exchange(code)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    fresh = code_of(_saml_login(browser, idp, conn_id))["code"]
    assert browser.exchange(fresh).status_code == 200
    reused = browser.exchange(fresh)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


def test_a_redirect_uri_not_registered_is_refused_without_redirecting(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    conn_id = saml_connection(browser.t, _org(browser.t), idp)
    answer = browser.authorize(connection_id=conn_id, redirect_uri="https://evil.example/cb")
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "redirect_uri_not_allowed" in answer.text


def test_an_oidc_code_flow_ends_with_a_verified_id_token(
    browser: Browser, served: tuple[TestClient, Tenantry, TestClient]
) -> None:
    oidc_http = served[2]
    org_id = _org(browser.t)
    conn_id = oidc_connection(browser.t, org_id)
    started = browser.authorize(organization_id=org_id)
    assert started.status_code == 302, started.text
    at_idp = oidc_http.get(started.headers["location"], follow_redirects=False)
    assert at_idp.status_code == 302, at_idp.text
    callback = urlsplit(at_idp.headers["location"])
    assert callback.path == f"/sso/v1/oidc/{conn_id}/callback"
    ended = browser.tenantry.get(
        callback.path, params=dict(parse_qsl(callback.query)), follow_redirects=False
    )
    back = code_of(ended)
    claims = browser.verify(browser.exchange(back["code"]).json()["id_token"])
    assert (claims["email"], claims["oid"], claims["conn"]) == ("ada@example.com", org_id, conn_id)
    assert claims["given_name"] == "Ada"


def test_an_idp_initiated_saml_login_is_taken_only_when_the_connection_allows_it(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    org_id = _org(browser.t)
    refused_conn = saml_connection(browser.t, org_id, idp)
    allowed_conn = saml_connection(browser.t, _org(browser.t), idp, idp_initiated=True)
    browser.t.configure_sso(idp_initiated_app=(browser.client_id, APP_CALLBACK))
    try:
        first = browser.tenantry.post(
            acs_path(allowed_conn),
            data={"SAMLResponse": idp_answer(idp, browser.t, allowed_conn, None)},
            follow_redirects=False,
        )
        assert first.status_code == 200  # the same-site re-post page (no Lax cookie came along)
        assert 'name="resubmitted" value="1"' in first.text
        posted = {
            "SAMLResponse": idp_answer(idp, browser.t, allowed_conn, None),
            "resubmitted": "1",
        }
        back = code_of(
            browser.tenantry.post(acs_path(allowed_conn), data=posted, follow_redirects=False)
        )
        assert browser.exchange(back["code"]).status_code == 200
        unsolicited = {
            "SAMLResponse": idp_answer(idp, browser.t, refused_conn, None),
            "resubmitted": "1",
        }
        answer = browser.tenantry.post(
            acs_path(refused_conn), data=unsolicited, follow_redirects=False
        )
        assert answer.status_code == 401
        assert "unsolicited" in answer.text
    finally:
        browser.t.configure_sso(idp_initiated_app=("", ""))


def _refusals(t: Tenantry, conn_id: str) -> list[tuple[str, str]]:
    """The ``(refusal, actor)`` of each ``SignInRefused`` the connection recorded."""
    return [(r["refusal"], r["actor"]) for r in _events(t, conn_id, "SignInRefused")]


def test_an_idp_initiated_code_is_bound_to_the_application_set_for_such_logins(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    conn_id = saml_connection(browser.t, _org(browser.t), idp, idp_initiated=True)
    posted = {"SAMLResponse": idp_answer(idp, browser.t, conn_id, None), "resubmitted": "1"}
    unbound = browser.tenantry.post(acs_path(conn_id), data=posted, follow_redirects=False)
    assert (unbound.status_code, "location" in unbound.headers) == (422, False)
    assert unbound.headers["content-type"].startswith("text/html")
    assert "idp_initiated_not_bound" in unbound.text
    assert _refusals(browser.t, conn_id) == [("idp_initiated_not_bound", f"sso:{conn_id}")]

    other = browser.tenantry.app_state.state.clients.create_client("other app")  # type: ignore[attr-defined]
    browser.t.configure_sso(idp_initiated_app=(browser.client_id, APP_CALLBACK))
    try:
        for client in (other, None):
            posted = {"SAMLResponse": idp_answer(idp, browser.t, conn_id, None), "resubmitted": "1"}
            back = code_of(
                browser.tenantry.post(acs_path(conn_id), data=posted, follow_redirects=False)
            )
            if client is None:
                assert browser.exchange(back["code"]).status_code == 200
                continue
            foreign = Browser(browser.tenantry, browser.t, client.client_id, client.client_secret)
            assert foreign.exchange(back["code"]).status_code == 400  # invalid_grant
    finally:
        browser.t.configure_sso(idp_initiated_app=("", ""))


def test_a_response_to_a_login_this_browser_did_not_start_is_refused(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    org_id = _org(browser.t)
    mine, other = saml_connection(browser.t, org_id, idp), saml_connection(browser.t, org_id, idp)
    started = browser.authorize(connection_id=mine)  # the cookie is for this connection
    request = authn_request(started.headers["location"])
    posted = idp_answer(idp, browser.t, other, request.get("ID"))
    answer = browser.tenantry.post(
        acs_path(other), data={"SAMLResponse": posted}, follow_redirects=False
    )
    assert (answer.status_code, "location" in answer.headers) == (401, False)
    assert "unknown_request" in answer.text
    started = browser.authorize(connection_id=mine)
    request = authn_request(started.headers["location"])
    posted = idp_answer(idp, browser.t, mine, request.get("ID"))
    relayed = browser.tenantry.post(
        acs_path(mine),
        data={"SAMLResponse": posted, "RelayState": "another-browsers-relay-state"},
        follow_redirects=False,
    )
    assert "unknown_request" in relayed.text
    browser.tenantry.cookies.set("tenantry_sso_login", "forged", path="/sso/v1/")
    forged = browser.tenantry.post(
        acs_path(mine), data={"SAMLResponse": posted}, follow_redirects=False
    )
    assert "unknown_request" in forged.text


def test_no_login_starts_or_ends_at_an_inactive_connection(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    org_id = _org(browser.t)
    conn_id = saml_connection(browser.t, org_id, idp)
    started = browser.authorize(connection_id=conn_id)
    request = authn_request(started.headers["location"])
    browser.t.update_organization_settings(org_id, [("sso", False)])  # feature off mid-login
    posted = idp_answer(idp, browser.t, conn_id, request.get("ID"))
    relayed = relay_state(started.headers["location"])
    ended = browser.tenantry.post(
        acs_path(conn_id),
        data={"SAMLResponse": posted, "RelayState": relayed},
        follow_redirects=False,
    )
    assert "connection_not_active" in ended.text
    assert "location" not in ended.headers
    browser.t.update_organization_settings(org_id, [("sso", True)])
    browser.t.disable_connection(org_id, conn_id)
    refused = browser.authorize(connection_id=conn_id)
    assert "connection_not_active" in refused.text
    assert "location" not in refused.headers


def test_a_full_organization_refuses_the_login_with_a_page_and_an_audited_event(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    org_id = _org(browser.t, seats=1)
    browser.t.add_member(org_id, "first@acme.test")
    conn_id = saml_connection(browser.t, org_id, idp)
    answer = _saml_login(browser, idp, conn_id)
    assert answer.status_code in (400, 409, 412, 422), answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "seat_limit_reached" in answer.text
    assert _refusals(browser.t, conn_id) == [("seat_limit_reached", f"sso:{conn_id}")]
    assert "tenantry_sso_login=" in answer.headers.get("set-cookie", "")  # dropped


def _test_link(browser: Browser, org_id: str, conn_id: str) -> str:
    link = browser.tenantry.post(
        f"/api/v1/organizations/{org_id}/connections/{conn_id}:test", headers=_bearer(browser)
    )
    assert link.status_code == 200, link.text
    url: str = link.json()["url"]
    return url


def _events(t: Tenantry, conn_id: str, name: str) -> list[dict[str, Any]]:
    """The stored ``Connection.<name>`` events of the connection."""
    return [
        json.loads(n.state)
        for n in t.recorder.select_notifications(start=None, limit=100_000)
        if n.topic.endswith(f"Connection.{name}")
        and n.originator_id == ids.decode(ids.CONNECTION, conn_id, "connection_id")
    ]


def _answer_test(
    browser: Browser, idp: FakeSamlIdp, conn_id: str, started: Any, **answer: str
) -> Any:
    """The IdP's answer to the test login ``started``, posted to the ACS."""
    request = authn_request(started.headers["location"])
    assert request.get("ForceAuthn") == "true"
    posted = idp_answer(idp, browser.t, conn_id, request.get("ID"), **answer)
    relayed = relay_state(started.headers["location"])
    return browser.tenantry.post(
        acs_path(conn_id), data={"SAMLResponse": posted, "RelayState": relayed}
    )


def _start_test(browser: Browser, idp: FakeSamlIdp) -> tuple[str, str, str, Any]:
    """A new SAML connection's organization and id, a test link of it, and that link opened."""
    org_id = _org(browser.t)
    conn_id = saml_connection(browser.t, org_id, idp)
    link = _test_link(browser, org_id, conn_id)
    return org_id, conn_id, link, browser.tenantry.get(link, follow_redirects=False)


def test_a_test_login_records_its_exact_outcome_on_the_connection(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    org_id, conn_id, _, started = _start_test(browser, idp)
    page = _answer_test(browser, idp, conn_id, started, audience="https://other.test")
    assert page.status_code == 200
    assert "wrong_audience" in page.text
    tested = browser.t.get_connection(org_id, conn_id).test_connection
    assert (tested.result, tested.reason) == ("FAILURE", "wrong_audience")

    started = browser.tenantry.get(_test_link(browser, org_id, conn_id), follow_redirects=False)
    _answer_test(browser, idp, conn_id, started, email="tester@acme.test")
    tested = browser.t.get_connection(org_id, conn_id).test_connection
    assert (tested.result, tested.reason) == ("SUCCESS", None)
    with pytest.raises(MembershipNotFound):  # a test provisions no one
        browser.t.get_membership(org_id, "tester@acme.test")


def test_a_test_link_starts_one_login_recorded_as_the_admins(
    browser: Browser, idp: FakeSamlIdp
) -> None:
    _, conn_id, link, started = _start_test(browser, idp)
    assert started.status_code == 302
    assert "tenantry_sso_login=" in started.headers["set-cookie"]
    again = browser.tenantry.get(link, follow_redirects=False)  # the same link, opened twice
    assert (again.status_code, "location" in again.headers) == (400, False)
    assert "used already" in again.text
    assert "SUCCESS" in _answer_test(browser, idp, conn_id, started).text
    tested = _events(browser.t, conn_id, "Tested")
    assert [(e["result"], e["actor"]) for e in tested] == [
        ("SUCCESS", f"client:{browser.client_id}")
    ]
    forged = browser.tenantry.get("/oauth/authorize?test=forged", follow_redirects=False)
    assert (forged.status_code, "location" in forged.headers) == (400, False)


def test_no_secret_reaches_a_stored_event(browser: Browser, idp: FakeSamlIdp) -> None:
    org_id = _org(browser.t)
    conn_id = saml_connection(browser.t, org_id, idp)
    code = code_of(_saml_login(browser, idp, conn_id))["code"]
    id_token = browser.exchange(code).json()["id_token"]
    stored = "\n".join(
        n.state.decode() for n in browser.t.recorder.select_notifications(start=None, limit=100_000)
    )
    for secret in (CLIENT_SECRET, browser.client_secret, code, id_token, idp.keys.key_pem):
        assert secret not in stored


def _bearer(browser: Browser) -> dict[str, str]:
    answer = token(browser.tenantry, browser.client_id, browser.client_secret)
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_an_oidc_test_login_records_the_providers_exact_failure(
    browser: Browser,
    served: tuple[TestClient, Tenantry, TestClient],
    provider: FakeOidcProvider,
) -> None:
    oidc_http = served[2]
    org_id = _org(browser.t)
    conn_id = oidc_connection(browser.t, org_id)
    discoveries = provider.discoveries
    for audience, expected in (("another-client", ("FAILURE", "wrong_audience")), (None, None)):
        provider.claims = {"aud": audience} if audience else {}
        link = _test_link(browser, org_id, conn_id)
        started = browser.tenantry.get(link, follow_redirects=False)
        assert "prompt=login" in started.headers["location"]
        at_idp = oidc_http.get(started.headers["location"], follow_redirects=False)
        callback = urlsplit(at_idp.headers["location"])
        page = browser.tenantry.get(callback.path, params=dict(parse_qsl(callback.query)))
        assert page.status_code == 200, page.text
        tested = browser.t.get_connection(org_id, conn_id).test_connection
        assert (tested.result, tested.reason) == (expected or ("SUCCESS", None))
    provider.claims = {}
    assert provider.discoveries == discoveries + 1  # the relying party is kept between logins


def test_the_code_grant_needs_the_clients_credentials_and_its_fields(browser: Browser) -> None:
    form = {"grant_type": "authorization_code", "client_id": browser.client_id}
    wrong = browser.tenantry.post(
        "/oauth/token",
        data={**form, "client_secret": "sec_wrong", "code": "x", "redirect_uri": APP_CALLBACK},
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    missing = browser.tenantry.post(
        "/oauth/token", data={**form, "client_secret": browser.client_secret, "code": "x"}
    )
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    unknown = browser.exchange("not-a-code")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_grant")
    for field, too_long in (("code", "c" * 101), ("redirect_uri", f"{APP_CALLBACK}?{'x' * 2048}")):
        fields = {"code": "x", "redirect_uri": APP_CALLBACK, field: too_long}
        answer = browser.tenantry.post(
            "/oauth/token", data={**form, "client_secret": browser.client_secret, **fields}
        )
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
        assert field in answer.json()["error_description"]
