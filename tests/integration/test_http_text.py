"""Strings over HTTP: whatever a request carries (NUL, lone surrogates, bidi controls, bytes that
are not UTF-8, JSON nested too deep, a forged page token) is answered 400 ``invalid_field``
naming the field, records nothing, and never gets a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tenantry.domain.errors import InvalidField
from tenantry.projections import tokens
from tests.integration.http_support import ORGS, Api, assert_error, authorized, in_process


@pytest.fixture
def served() -> Iterator[tuple[FastAPI, Api]]:
    with in_process() as (app, client):
        yield app, authorized(app, client)


def _head(app: FastAPI) -> int:
    return app.state.tenantry.recorder.max_notification_id() or 0


def _raw(api: Api, method: str, path: str, body: bytes, **headers: str) -> object:
    return api.call(
        method, path, content=body, headers={"Content-Type": "application/json", **headers}
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"display_name": "\\ud800"}', "display_name"),
        ('{"display_name": "Acme\\u0000"}', "display_name"),
        ('{"display_name": "abc\\u202egnp.exe"}', "display_name"),
        ('{"display_name": "Acme", "logo_url": "https://x.example/\\u0000"}', "logo_url"),
        ('{"display_name": "Acme", "external_id": "\\udc80x"}', "external_id"),
        ('{"display_name": "Acme", "metadata": {"key": "a\\u0000"}}', "metadata.key"),
        ('{"display_name": "Acme", "metadata": {"ke\\u202ey": "v"}}', "metadata"),
    ],
)
def test_a_bad_string_in_an_organization_is_refused_naming_its_field(
    served: tuple[FastAPI, Api], body: str, field: str
) -> None:
    app, api = served
    before = _head(app)
    r = _raw(api, "POST", ORGS, body.encode())
    assert_error(r, 400, "invalid_field")
    assert r.json()["details"]["field"] == field
    assert _head(app) == before


@pytest.mark.parametrize(
    "email",
    [
        "a\u0000b@example.com",
        "a\u0007b@example.com",
        "a\u200bb@example.com",
        "a\u202eb@example.com",
        "<script>@x.example",
        "a@b..example",
        "\ud800@example.com",
    ],
)
def test_a_bad_email_is_refused_and_the_member_list_still_works(
    served: tuple[FastAPI, Api], email: str
) -> None:
    app, api = served
    org = api.create_org()
    before = _head(app)
    r = _raw(api, "POST", f"{ORGS}/{org['id']}/users", json.dumps({"email": email}).encode())
    assert_error(r, 400, "invalid_field")
    assert r.json()["details"]["field"] == "email"
    assert _head(app) == before
    assert api.call("GET", f"{ORGS}/{org['id']}/users").status_code == 200


@pytest.mark.parametrize("query", ["%00ab", "ab%00", "a%C2%85b", "ab%1Bc"])
def test_a_search_query_with_a_control_character_is_refused(
    served: tuple[FastAPI, Api], query: str
) -> None:
    _, api = served
    api.create_org(display_name="Acme")
    r = api.call("GET", f"{ORGS}:search?query={query}")
    assert_error(r, 400, "invalid_field")
    assert r.json()["details"]["field"] == "query"


def test_a_page_token_out_of_range_is_refused_even_when_well_signed(
    served: tuple[FastAPI, Api],
) -> None:
    app, api = served
    secret = app.state.projections.secret
    for after in (2**63, 2**64 + 5, -1):
        forged = tokens.encode(tokens.PageToken("orgs", "", after, "next", 1), secret)
        r = api.call("GET", ORGS, params={"page_token": forged})
        assert_error(r, 400, "invalid_field")
        assert r.json()["details"]["field"] == "page_token"


def test_a_page_token_signed_with_the_old_public_constant_is_refused(
    served: tuple[FastAPI, Api],
) -> None:
    _, api = served
    forged = tokens.encode(tokens.PageToken("orgs", "", 1, "next", 1), b"tenantry-page-token")
    r = api.call("GET", ORGS, params={"page_token": forged})
    assert_error(r, 400, "invalid_field")
    assert r.json()["details"]["field"] == "page_token"


def test_json_nested_too_deep_is_refused_with_or_without_an_idempotency_key(
    served: tuple[FastAPI, Api],
) -> None:
    _, api = served
    org = api.create_org()
    r = api.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "ada@acme.example"})
    assert r.status_code == 201, r.text
    user = r.json()["user"]["id"]
    deep = b"[" * 30_000 + b"]" * 30_000  # within the body limit, past the parser's depth
    resend = f"/api/v1/invites/organizations/{org['id']}/users/{user}/resend"
    for method, path in (("POST", ORGS), ("PATCH", resend)):
        for headers in ({}, {"Idempotency-Key": f"deep-{method}"}):
            r = _raw(api, method, path, deep, **headers)
            assert r.status_code < 500, (path, headers, r.text)  # type: ignore[attr-defined]
            if path == ORGS:
                assert_error(r, 400, "invalid_field")


def test_a_body_that_is_not_utf8_is_refused_naming_the_body(served: tuple[FastAPI, Api]) -> None:
    _, api = served
    r = _raw(api, "POST", ORGS, b'{"display_name": "Acme\xff"}')
    assert_error(r, 400, "invalid_field")
    assert r.json()["details"]["field"] == "body"
    assert "UTF-8" in r.json()["details"]["rule"]


@pytest.mark.parametrize("name", ["a\u0000b", "\ud800", "ops\u202e"])
def test_an_api_client_name_follows_the_text_rule(served: tuple[FastAPI, Api], name: str) -> None:
    app, _ = served
    before = app.state.clients.list_clients()
    with pytest.raises(InvalidField) as caught:
        app.state.clients.create_client(name)
    assert caught.value.field == "name"
    assert app.state.clients.list_clients() == before
