"""Who the audit history names for the REST API: the API client that made each write (a real
token), the end user it passed in ``X-Tenantry-On-Behalf-Of``, and API clients' lifecycle —
never a secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenantry.adapters.auth.clients import ClientNotFound
from tenantry.adapters.http import ClientAuth
from tenantry.adapters.http.routing import ON_BEHALF_OF_HEADER
from tenantry.application.app import Tenantry
from tests.integration.http_support import ORGS, Api, assert_error, in_process, token
from tests.unit.helpers import last_notification_id, stored


@pytest.fixture
def server() -> Iterator[tuple[FastAPI, TestClient]]:
    with in_process() as app_and_client:
        yield app_and_client


def _signed_in(app: FastAPI, client: TestClient) -> tuple[Api, str]:
    new = app.state.clients.create_client("billing")
    r = token(client, new.client_id, new.client_secret)
    return Api(client, {"Authorization": f"Bearer {r.json()['access_token']}"}), new.client_id


def _written(app: FastAPI, before: int) -> list[dict[str, Any]]:
    return [state for _, _, state in stored(app.state.tenantry, before)]


def test_every_http_write_records_the_api_client_as_its_actor(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    api, client_id = _signed_in(app, client)
    before = last_notification_id(app.state.tenantry)
    org = api.create_org(external_id="acme-1")
    users = f"{ORGS}/{org['id']}/users"
    membership = f"/api/v1/memberships/organizations/{org['id']}/users"
    calls = [
        ("PATCH", f"{ORGS}/{org['id']}", {"display_name": "Acme 2"}),
        ("PATCH", f"{ORGS}/{org['id']}/settings", {"features": [{"name": "sso", "enabled": True}]}),
        ("POST", users, {"email": "ada@acme.example"}),
        ("PATCH", f"/api/v1/invites/organizations/{org['id']}/users/ada@acme.example/resend", None),
        ("PATCH", f"{membership}/ada@acme.example", {"roles": ["admin"]}),
        ("DELETE", f"{membership}/ada@acme.example", None),
        ("DELETE", f"{ORGS}/{org['id']}", None),
    ]
    for method, path, body in calls:
        r = api.call(method, path, json=body) if body is not None else api.call(method, path)
        assert r.status_code < 300, (method, path, r.text)
    written = _written(app, before)
    assert len(written) > len(calls)
    assert {s["actor"] for s in written} == {f"client:{client_id}"}


def test_an_acceptance_over_http_is_recorded_as_made_by_the_api_client(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    api, client_id = _signed_in(app, client)
    org = api.create_org()
    r = api.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "ada@acme.example"})
    assert r.status_code == 201, r.text
    before = last_notification_id(app.state.tenantry)
    path = f"/api/v1/memberships/organizations/{org['id']}/users/ada@acme.example"
    r = api.call("PATCH", path, json={"status": "ACTIVE"})
    assert r.status_code == 200, r.text
    written = _written(app, before)
    assert written
    assert {s["actor"] for s in written} == {f"client:{client_id}"}  # not the invitee


def test_the_on_behalf_of_header_is_recorded_beside_the_client(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    api, client_id = _signed_in(app, client)
    before = last_notification_id(app.state.tenantry)
    headers = {ON_BEHALF_OF_HEADER: "Zoë <zoe@customer.example>".encode()}
    r = api.call("POST", ORGS, json={"display_name": "Acme", "slug": "acme"}, headers=headers)
    assert r.status_code == 201, r.text
    written = _written(app, before)
    assert {(s["actor"], s["on_behalf_of"]) for s in written} == {
        (f"client:{client_id}", "Zoë <zoe@customer.example>")
    }
    org_id = r.json()["organization"]["id"]
    [entry] = app.state.tenantry.list_history(org_id)
    assert entry.on_behalf_of == "Zoë <zoe@customer.example>"
    head = last_notification_id(app.state.tenantry)
    page = app.state.projections.list_audit_log(organization_id=org_id, min_position=head)
    assert {(e.actor, e.on_behalf_of) for e in page.entries} == {
        (f"client:{client_id}", "Zoë <zoe@customer.example>")
    }


@pytest.mark.parametrize(
    "value", [b"a\x01b", "abc\u202egnp.exe".encode(), "a\u200bb".encode(), b"x" * 256, b"   "]
)
def test_a_bad_on_behalf_of_header_is_a_400_naming_it_and_records_nothing(
    server: tuple[FastAPI, TestClient], value: bytes
) -> None:
    app, client = server
    api, _ = _signed_in(app, client)
    before = last_notification_id(app.state.tenantry)
    r = api.call("POST", ORGS, json={"display_name": "Acme"}, headers={ON_BEHALF_OF_HEADER: value})
    body = assert_error(r, 400, "invalid_field")
    assert body["details"]["field"] == ON_BEHALF_OF_HEADER
    assert last_notification_id(app.state.tenantry) == before


def test_the_header_is_documented_on_write_routes(server: tuple[FastAPI, TestClient]) -> None:
    _, client = server
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/v1/organizations"]["post"]
    assert ON_BEHALF_OF_HEADER in {p["name"] for p in post["parameters"]}


def test_client_lifecycle_is_audited_with_who_did_it_and_no_secret(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, _ = server
    t: Tenantry = app.state.tenantry
    clients: ClientAuth = app.state.clients
    before = last_notification_id(t)
    new = clients.create_client("billing", actor="cli:root")
    rotated = clients.rotate_secret(new.client_id, actor="cli:ops", on_behalf_of="ticket-42")
    clients.delete_client(new.client_id, actor="cli:ops")
    written = stored(t, before)
    assert [(topic.rpartition(".")[2], s["actor"]) for _, topic, s in written] == [
        ("Created", "cli:root"),
        ("SecretRotated", "cli:ops"),
        ("Deleted", "cli:ops"),
    ]
    assert written[1][2]["on_behalf_of"] == "ticket-42"
    assert written[0][2]["organizations"] == ["*"]  # a full-environment client
    assert {s["client_id"] for _, _, s in written if "client_id" in s} == {new.client_id}
    page = app.state.projections.list_audit_log(actor="cli:ops", min_position=written[-1][0])
    assert [(e.aggregate, e.event, e.organization_id) for e in page.entries] == [
        ("ApiClient", "ApiClient.SecretRotated", None),
        ("ApiClient", "ApiClient.Deleted", None),
    ]
    for secret in (new.client_secret, rotated.client_secret):
        _assert_nowhere_in_the_log(t, secret)


def test_a_restricted_clients_organizations_are_in_its_created_event(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, _ = server
    t: Tenantry = app.state.tenantry
    org = t.create_organization("Acme")
    before = last_notification_id(t)
    app.state.clients.create_client("acme-only", scopes=["members:read"], organizations=[org.id])
    [(_, _, created)] = stored(t, before)
    assert (created["scopes"], created["organizations"]) == (["members:read"], [org.id])


def test_no_event_ever_carries_a_client_secret_or_its_hash(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    api, client_id = _signed_in(app, client)
    api.create_org()
    rotated = app.state.clients.rotate_secret(client_id)
    r = token(client, client_id, rotated.client_secret)
    assert r.status_code == 200
    with app.state.clients.engine.connect() as conn:
        query = "SELECT secret_hash FROM tenantry_http_clients"
        hashes = [row[0] for row in conn.exec_driver_sql(query)]
    for needle in (rotated.client_secret, *hashes, *(h.split("$")[2] for h in hashes)):
        _assert_nowhere_in_the_log(app.state.tenantry, needle)
    _assert_nowhere_in_the_log(app.state.tenantry, "sec_")


def test_refused_lifecycle_changes_record_nothing(server: tuple[FastAPI, TestClient]) -> None:
    app, _ = server
    before = last_notification_id(app.state.tenantry)
    with pytest.raises(ClientNotFound):
        app.state.clients.rotate_secret("cli_nope", actor="cli:root")
    with pytest.raises(ClientNotFound):
        app.state.clients.delete_client("cli_nope", actor="cli:root")
    assert last_notification_id(app.state.tenantry) == before


def _assert_nowhere_in_the_log(t: Tenantry, needle: str) -> None:
    for _, topic, state in stored(t):
        assert needle not in json.dumps(state, ensure_ascii=False), topic


def test_the_audit_log_finds_what_was_done_for_an_end_user(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    api, client_id = _signed_in(app, client)
    for_ada = {ON_BEHALF_OF_HEADER: "ada"}
    org = api.create_org()
    r = api.call("PATCH", f"{ORGS}/{org['id']}", json={"display_name": "A2"}, headers=for_ada)
    assert r.status_code == 200, r.text
    head = last_notification_id(app.state.tenantry)
    views = app.state.projections
    page = views.list_audit_log(on_behalf_of="ada", page_size=10, min_position=head)
    assert [(e.event, e.actor, e.on_behalf_of) for e in page.entries] == [
        ("Organization.Renamed", f"client:{client_id}", "ada")
    ]
    assert views.list_audit_log(on_behalf_of="bob", min_position=head).entries == []
