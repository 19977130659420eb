"""What the HTTP layer keeps beyond the routes' data: the token endpoint answers only its
documented OAuth errors, the health check is documented, a 405 names every allowed method, the
caller is authenticated before the body is judged, and accepting an invitation works as the
membership PATCH documents it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import tenantry
from tenantry.adapters.http import create_router
from tests.integration.http_support import (  # noqa: F401 - the module_* are pytest fixtures
    ORGS,
    Api,
    assert_error,
    host_auth,
    module_api,
    module_member,
    module_server,
)

# --- the token endpoint and the health check ---------------------------------------------------


def test_the_token_endpoint_documents_the_oauth_errors_it_answers_with(api: Api) -> None:
    spec = api.call("GET", "/openapi.json").json()
    token = spec["paths"]["/oauth/token"]["post"]
    assert set(token["responses"]) == {"200", "400", "401", "413", "429", "503"}
    for status in ("400", "401", "413", "429", "503"):
        schema = token["responses"][status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/TokenError")
    form = token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["grant_type"]["enum"] == ["client_credentials", "authorization_code"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


@pytest.mark.parametrize(
    ("request_", "status", "error"),
    [
        ({"data": {"grant_type": "password"}}, 400, "unsupported_grant_type"),
        ({"json": {"grant_type": "client_credentials"}}, 400, "invalid_request"),
        ({"data": {"grant_type": "client_credentials"}}, 400, "invalid_request"),
        (
            {
                "data": {
                    "grant_type": "client_credentials",
                    "client_id": "c" * 201,
                    "client_secret": "s",
                }
            },
            400,
            "invalid_request",
        ),
        (
            {
                "data": {"grant_type": "client_credentials", "client_secret": "s"},
                "files": {"client_id": ("f", b"c")},
            },
            400,
            "invalid_request",
        ),
        (
            {
                "content": b"--x\r\nbroken",
                "headers": {"content-type": "multipart/form-data; boundary=x"},
            },
            400,
            "invalid_request",
        ),
        (
            {
                "data": {
                    "grant_type": "client_credentials",
                    "client_id": "cli_x",
                    "client_secret": "s",
                }
            },
            401,
            "invalid_client",
        ),
    ],
)
def test_a_refused_token_request_gets_an_oauth_error_never_a_validation_error(
    server: tuple[FastAPI, TestClient], request_: dict[str, Any], status: int, error: str
) -> None:
    _, client = server
    r = client.post("/oauth/token", **request_)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "error_description", "error_code", "code", "message", "details"}
    assert body["error"] == error


def test_the_health_check_is_documented_and_needs_no_token(
    server: tuple[FastAPI, TestClient], api: Api
) -> None:
    _, client = server
    health = api.call("GET", "/openapi.json").json()["paths"]["/healthz"]["get"]
    assert health["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Health"
    )
    r = client.get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


# --- methods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", ORGS, "GET, POST"),
        ("PUT", "/api/v1/memberships/organizations/org_x/users/usr_y", "GET, POST, PATCH, DELETE"),
        ("DELETE", f"{ORGS}/org_x/session-policy", "GET, PATCH"),
        ("GET", "/oauth/token", "POST"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_a_method_the_path_does_not_answer_gets_405_with_every_allowed_method(
    api: Api, method: str, path: str, allowed: str
) -> None:
    r = api.call(method, path)
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == allowed


# --- authentication before the body -------------------------------------------------------------

NOT_JSON = [b"{nope", b"\xff\xfe\x00not text", b'{"display_name": "A"']


@pytest.mark.parametrize("body", NOT_JSON)
def test_a_caller_without_a_token_is_refused_before_its_body_is_judged(
    server: tuple[FastAPI, TestClient], body: bytes
) -> None:
    _, client = server
    r = client.post(ORGS, content=body, headers={"content-type": "application/json"})
    assert_error(r, 401, "unauthenticated")


@pytest.mark.parametrize("body", NOT_JSON)
def test_a_body_that_is_not_json_is_refused_once_the_caller_is_known(
    server: tuple[FastAPI, TestClient], api: Api, member: tuple[str, str], body: bytes
) -> None:
    app, _ = server
    org_id, user_id = member
    before = app.state.tenantry.recorder.max_notification_id()
    # The membership's body is optional: a body that does not parse must not count as none.
    path = f"/api/v1/memberships/organizations/{org_id}/users/{user_id}"
    for method, url in [("POST", ORGS), ("POST", path), ("PATCH", path)]:
        r = api.call(method, url, content=body, headers={"content-type": "application/json"})
        assert assert_error(r, 400, "invalid_field")["details"]["field"] == "body"
    assert app.state.tenantry.recorder.max_notification_id() == before


def test_a_host_apps_own_auth_runs_before_the_body_is_judged() -> None:
    t = tenantry.connect("memory://")

    host = FastAPI()
    host.include_router(create_router(t, auth=host_auth))
    try:
        with TestClient(host) as client:
            json_type = {"content-type": "application/json"}
            assert client.post(ORGS, content=b"{nope", headers=json_type).status_code == 403
            allowed = {**json_type, "X-Api-Key": "let-me-in"}
            r = client.post(ORGS, content=b"{nope", headers=allowed)
            assert assert_error(r, 400, "invalid_field")["details"]["field"] == "body"
    finally:
        t.close()


# --- accepting an invitation -------------------------------------------------------------------


def test_accepting_an_invitation_is_documented_and_keeps_the_invitations_seat(api: Api) -> None:
    spec = api.call("GET", "/openapi.json").json()
    membership = "/api/v1/memberships/organizations/{organization_id}/users/{user_id}"
    assert (
        'Accept an invitation with `{"membership_status": "ACTIVE"}`'
        in (spec["paths"][membership]["patch"]["description"])
    )
    org = api.create_org(display_name="Seats")
    limit = {"settings": {"max_allowed_users": 1}}
    api.call("PATCH", f"{ORGS}/{org['id']}/settings/usermanagement", json=limit)
    invited = api.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "cy@seats.example"})
    user_id = invited.json()["user"]["id"]
    path = membership.format(organization_id=org["id"], user_id=user_id)
    accepted = api.call("PATCH", path, json={"membership_status": "ACTIVE"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["user"]["memberships"][0]["membership_status"] == "ACTIVE"
    usage = api.call("GET", f"{ORGS}/{org['id']}/seat-usage").json()
    assert (usage["seats_in_use"], usage["seats_free"]) == (1, 0)
