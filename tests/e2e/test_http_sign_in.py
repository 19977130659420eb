"""Full SAML and OIDC logins against a real ``tenantry serve`` process (SQLite and PostgreSQL):
connections set up over the API, the browser through /oauth/authorize, the test IdP's signed
response posted to the ACS (or the test OIDC provider, served over HTTP, redirecting to the
callback), the code traded at /oauth/token for an ID token verified with /keys; many people
signing in at once for the last seats of an organization (exactly the free seats admitted); and
no secret in the server's log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet

from tests.e2e.http_support import Server, oidc_provider, serve, served_database
from tests.integration.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeOidcProvider
from tests.integration.saml_idp import FakeSamlIdp, encode, sign
from tests.integration.sign_in_support import (
    APP_CALLBACK,
    IDP_SSO_URL,
    authn_request,
    relay_state,
)

__all__ = ["oidc_provider", "served_database"]  # the fixtures, shared with other served tests

BASE_URL = "http://localhost:8000"  # the SP URLs the IdP is told; the test reaches the real port
ORGS = "/api/v1/organizations"


@pytest.fixture
def signing_server(
    served_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Server, Path]]:
    monkeypatch.setenv("TENANTRY_SSO_BASE_URL", BASE_URL)
    monkeypatch.setenv("TENANTRY_SSO_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("TENANTRY_SSO_REDIRECT_URIS", APP_CALLBACK)
    log = tmp_path / "server.log"
    with serve(served_database, log=log) as server:
        yield server, log


def _connection(api: httpx.Client, idp: FakeSamlIdp, seats: int) -> tuple[str, str]:
    org = api.post(ORGS, json={"display_name": "Acme"}).json()["organization"]["id"]
    settings = {
        "features": [{"name": "sso", "enabled": True}],
    }
    assert api.patch(f"{ORGS}/{org}/settings", json=settings).status_code == 200
    limit = {"settings": {"max_allowed_users": seats}}
    assert api.patch(f"{ORGS}/{org}/settings/usermanagement", json=limit).status_code == 200
    created = api.post(f"{ORGS}/{org}/connections", json={"type": "SAML", "provider": "OKTA"})
    conn = created.json()["connection"]["id"]
    body = {
        "saml_config": {
            "idp_entity_id": idp.entity_id,
            "idp_sso_url": IDP_SSO_URL,
            "idp_certificates": [idp.keys.cert_pem],
        }
    }
    assert api.patch(f"{ORGS}/{org}/connections/{conn}", json=body).status_code == 200
    assert api.patch(f"{ORGS}/{org}/connections/{conn}:enable").status_code == 200
    return org, conn


def _login(server: Server, idp: FakeSamlIdp, conn: str, email: str) -> httpx.Response:
    """One browser's login, up to the ACS's answer."""
    with httpx.Client(base_url=server.base_url, timeout=60) as browser:
        started = browser.get(
            "/oauth/authorize",
            params={
                "connection_id": conn,
                "client_id": server.client_id,
                "redirect_uri": APP_CALLBACK,
                "state": "s-1",
            },
        )
        assert started.status_code == 302, started.text
        request = authn_request(started.headers["location"])
        acs = f"{BASE_URL}/sso/v1/saml/{conn}/acs"
        now = datetime.now(UTC)
        assertion = idp.assertion(
            now,
            subject=email,
            in_response_to=request.get("ID"),
            audience=f"{BASE_URL}/sso/v1/saml/{conn}",
            recipient=acs,
        )
        response = idp.response(
            now, sign(assertion, idp.keys), in_response_to=request.get("ID"), destination=acs
        )
        posted = {
            "SAMLResponse": encode(response),
            "RelayState": relay_state(started.headers["location"]),
        }
        return browser.post(f"/sso/v1/saml/{conn}/acs", data=posted)


def _verified(server: Server, id_token: str) -> dict[str, Any]:
    """The ID token's claims, checked with the server's JWKS at ``/keys``."""
    keys = jwt.PyJWKSet.from_dict(httpx.get(f"{server.base_url}/keys").json())
    kid = jwt.get_unverified_header(id_token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims: dict[str, Any] = jwt.decode(
        id_token, key, algorithms=["RS256"], audience=server.client_id, issuer=BASE_URL
    )
    return claims


def _code(answer: httpx.Response) -> str:
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == APP_CALLBACK
    query = dict(parse_qsl(location.query))
    assert query["state"] == "s-1"
    return query["code"]


def test_a_saml_login_through_tenantry_serve_ends_with_an_id_token_verified_by_keys(
    signing_server: tuple[Server, Path],
) -> None:
    server, log = signing_server
    idp = FakeSamlIdp()
    with server.client() as api:
        org, conn = _connection(api, idp, seats=10)
    code = _code(_login(server, idp, conn, "ada@acme.test"))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": APP_CALLBACK,
    }
    auth = (server.client_id, server.client_secret)
    answer = httpx.post(f"{server.base_url}/oauth/token", data=form, auth=auth)
    assert answer.status_code == 200, answer.text
    id_token = answer.json()["id_token"]
    claims = _verified(server, id_token)
    assert (claims["email"], claims["oid"], claims["conn"]) == ("ada@acme.test", org, conn)
    assert claims["sub"].startswith("usr_")
    reused = httpx.post(f"{server.base_url}/oauth/token", data=form, auth=auth)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    server.stop()
    written = log.read_text(errors="replace")
    for secret in (code, id_token, server.client_secret, idp.keys.key_pem):
        assert secret not in written


def test_concurrent_logins_for_the_last_seats_admit_exactly_the_free_ones(
    signing_server: tuple[Server, Path],
) -> None:
    server, _ = signing_server
    idp = FakeSamlIdp()
    seats, people = 3, 6
    with server.client() as api:
        org, conn = _connection(api, idp, seats=seats)
        member = {"email": "first@acme.test"}
        added = api.post(
            f"{ORGS}/{org}/users", params={"send_invitation_email": "false"}, json=member
        )
        assert added.status_code == 201, added.text
    answers: list[httpx.Response] = []
    start = threading.Barrier(people)

    def login(n: int) -> None:
        start.wait()
        answers.append(_login(server, idp, conn, f"p{n}@acme.test"))

    threads = [threading.Thread(target=login, args=(n,)) for n in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    admitted = [a for a in answers if a.status_code == 302]
    refused = [a for a in answers if a.status_code != 302]
    assert len(admitted) == seats - 1
    assert len(refused) == people - seats + 1
    assert all("seat_limit_reached" in a.text for a in refused)
    with server.client() as api:
        usage = api.get(f"{ORGS}/{org}/seat-usage").json()
    assert usage["seats_in_use"] == seats, usage


def test_an_oidc_login_through_tenantry_serve_ends_with_an_id_token(
    signing_server: tuple[Server, Path], oidc_provider: FakeOidcProvider
) -> None:
    server, log = signing_server
    with server.client() as api:
        org = api.post(ORGS, json={"display_name": "Acme"}).json()["organization"]["id"]
        sso_on = {"features": [{"name": "sso", "enabled": True}]}
        assert api.patch(f"{ORGS}/{org}/settings", json=sso_on).status_code == 200
        created = api.post(f"{ORGS}/{org}/connections", json={"type": "OIDC"})
        conn = created.json()["connection"]["id"]
        oidc = {"issuer": oidc_provider.issuer, "client_id": CLIENT_ID}
        body = {"oidc_config": {**oidc, "client_secret": CLIENT_SECRET}}
        assert api.patch(f"{ORGS}/{org}/connections/{conn}", json=body).status_code == 200
        assert api.patch(f"{ORGS}/{org}/connections/{conn}:enable").status_code == 200
    with httpx.Client(base_url=server.base_url, timeout=60) as browser:
        started = browser.get(
            "/oauth/authorize",
            params={"organization_id": org, "client_id": server.client_id}
            | {"redirect_uri": APP_CALLBACK, "state": "s-1"},
        )
        assert started.status_code == 302, started.text
        at_idp = httpx.get(started.headers["location"])
        assert at_idp.status_code == 302, at_idp.text
        callback = urlsplit(at_idp.headers["location"])  # at BASE_URL: the browser's own server
        assert callback.path == f"/sso/v1/oidc/{conn}/callback"
        code = _code(browser.get(f"{callback.path}?{callback.query}"))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": APP_CALLBACK}
    auth = (server.client_id, server.client_secret)
    answer = httpx.post(f"{server.base_url}/oauth/token", data=form, auth=auth)
    assert answer.status_code == 200, answer.text
    claims = _verified(server, answer.json()["id_token"])
    assert (claims["email"], claims["oid"], claims["conn"]) == ("ada@example.com", org, conn)
    server.stop()
    assert CLIENT_SECRET not in log.read_text(errors="replace")
