"""Scoped API clients: a token carries the client's scopes and organizations, and every route
enforces them (403 naming the missing scope; 404 for an organization outside the client's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenantry.adapters.auth.clients import ClientAuth
from tenantry.adapters.auth.scopes import SCOPES, Grant, ScopeMissing, implied
from tenantry.adapters.database import Database
from tenantry.adapters.http.access import scope_of
from tenantry.adapters.http.router import create_router
from tenantry.domain.errors import InvalidField
from tests.integration.http_support import ORGS, Api, assert_error, in_process, token
from tests.support import database


def scoped(app: FastAPI, client: TestClient, scopes: list[str] | None, **kw: Any) -> Api:
    new = app.state.clients.create_client("scoped", scopes=scopes, **kw)
    r = token(client, new.client_id, new.client_secret)
    assert r.status_code == 200, r.text
    return Api(client, {"Authorization": f"Bearer {r.json()['access_token']}"})


@pytest.fixture(scope="module")
def served() -> Any:
    with in_process() as app_and_client:
        yield app_and_client


@pytest.fixture(scope="module")
def admin(served: tuple[FastAPI, TestClient]) -> Api:
    return scoped(*served, None)


def test_admin_implies_write_implies_read_within_a_group_only() -> None:
    assert implied("organizations:admin") == {
        "organizations:admin",
        "organizations:write",
        "organizations:read",
    }
    grant = Grant(scopes=frozenset({"members:write"}))
    assert grant.allows("members:read")
    assert not grant.allows("organizations:read")
    with pytest.raises(ScopeMissing) as refused:
        grant.require("organizations:read")
    assert refused.value.details == {"scope": "organizations:read"}


def test_every_route_needs_a_defined_scope(served: tuple[FastAPI, TestClient]) -> None:
    _, client = served
    paths = client.get("/openapi.json").json()["paths"]
    routes = [
        (m.upper(), p) for p, methods in paths.items() if p.startswith("/api/") for m in methods
    ]
    assert len(routes) > 15
    assert {scope_of(method, path) for method, path in routes} == SCOPES.keys() - {"clients:admin"}


def test_a_read_only_client_reads_but_is_refused_a_write_naming_the_scope(
    served: tuple[FastAPI, TestClient], admin: Api
) -> None:
    org = admin.create_org(display_name="Readable")
    reader = scoped(*served, ["organizations:read"])
    assert reader.call("GET", f"{ORGS}/{org['id']}").status_code == 200
    assert reader.call("GET", ORGS).status_code == 200
    r = reader.call("PATCH", f"{ORGS}/{org['id']}", json={"display_name": "Changed"})
    body = assert_error(r, 403, "permission_denied")
    assert body["details"] == {"scope": "organizations:write"}
    assert "organizations:write" in body["message"]
    r = reader.call("GET", f"{ORGS}/{org['id']}/users")
    assert assert_error(r, 403, "permission_denied")["details"] == {"scope": "members:read"}
    assert admin.call("GET", f"{ORGS}/{org['id']}").json()["organization"]["display_name"] == (
        "Readable"
    )


def test_deleting_an_organization_needs_the_admin_scope(
    served: tuple[FastAPI, TestClient], admin: Api
) -> None:
    org = admin.create_org(display_name="Kept")
    writer = scoped(*served, ["organizations:write", "members:write"])
    r = writer.call("DELETE", f"{ORGS}/{org['id']}")
    assert assert_error(r, 403, "permission_denied")["details"] == {"scope": "organizations:admin"}
    assert writer.call("PATCH", f"{ORGS}/{org['id']}", json={"slug": "kept"}).status_code == 200
    r = writer.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "a@kept.example"})
    assert r.status_code == 201, r.text
    assert (
        scoped(*served, ["organizations:admin"]).call("DELETE", f"{ORGS}/{org['id']}").status_code
        == 200
    )


def test_a_refused_write_with_an_idempotency_key_stores_nothing_for_it(
    served: tuple[FastAPI, TestClient], admin: Api
) -> None:
    reader = scoped(*served, ["organizations:read"])
    headers = {"Idempotency-Key": "scoped-refusal-1"}
    r = reader.call("POST", ORGS, json={"display_name": "No"}, headers=headers)
    assert_error(r, 403, "permission_denied")
    writer = scoped(*served, ["organizations:write"])
    r = writer.call("POST", ORGS, json={"display_name": "Yes"}, headers=headers)
    assert r.status_code == 201, r.text


def test_a_client_restricted_to_organizations_sees_only_those(
    served: tuple[FastAPI, TestClient], admin: Api
) -> None:
    mine = admin.create_org(display_name="Restricted Mine", external_id="restricted-mine")
    other = admin.create_org(display_name="Restricted Other", external_id="restricted-other")
    scopes = ["organizations:write", "members:write"]
    api = scoped(*served, scopes, organizations=[mine["id"]])

    assert api.call("GET", f"{ORGS}/{mine['id']}").status_code == 200
    for method, path in (
        ("GET", f"{ORGS}/{other['id']}"),
        ("PATCH", f"{ORGS}/{other['id']}"),
        ("GET", f"{ORGS}/{other['id']}/users"),
        ("GET", f"{ORGS}:external/restricted-other"),
        ("PATCH", f"{ORGS}:external/restricted-other"),
        ("GET", f"/api/v1/memberships/organizations/{other['id']}/users/a@b.example"),
    ):
        kwargs = {"json": {"display_name": "X"}} if method == "PATCH" else {}
        assert_error(api.call(method, path, **kwargs), 404, "organization_not_found")
    assert api.call("GET", f"{ORGS}:external/restricted-mine").status_code == 200
    renamed = api.call("PATCH", f"{ORGS}:external/restricted-mine", json={"display_name": "Mine"})
    assert renamed.status_code == 200, renamed.text

    listed = api.call("GET", ORGS).json()
    assert [o["id"] for o in listed["organizations"]] == [mine["id"]]
    assert listed["total_size"] == 1
    found = api.call("GET", f"{ORGS}:search", params={"query": "Restricted"}).json()
    assert [o["id"] for o in found["organizations"]] == [mine["id"]]
    everything = admin.call("GET", f"{ORGS}:search", params={"query": "Restricted"}).json()
    assert everything["total_size"] == 2

    r = api.call("POST", ORGS, json={"display_name": "New"})
    assert_error(r, 403, "permission_denied")


def test_unknown_scopes_and_bad_organization_ids_are_refused_naming_the_field(
    served: tuple[FastAPI, TestClient],
) -> None:
    clients: ClientAuth = served[0].state.clients
    with pytest.raises(InvalidField) as bad:
        clients.create_client("x", scopes=["organizations:own"])
    assert bad.value.field == "scopes"
    with pytest.raises(InvalidField) as bad:
        clients.create_client("x", scopes=[])
    assert bad.value.field == "scopes"
    with pytest.raises(InvalidField) as bad:
        clients.create_client("x", organizations=["not-an-org"])
    assert bad.value.field == "organizations"


def test_clients_list_shows_scopes_and_a_default_client_is_full_environment(
    served: tuple[FastAPI, TestClient],
) -> None:
    clients: ClientAuth = served[0].state.clients
    full = clients.create_client("full")
    narrow = clients.create_client("narrow", scopes=["members:read organizations:read"])
    listed = {c.client_id: c for c in clients.list_clients()}
    assert (listed[full.client_id].scopes, listed[full.client_id].organizations) == (None, None)
    assert listed[narrow.client_id].scopes == ("members:read", "organizations:read")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_clients_stored_before_scopes_existed_become_full_environment(
    kind: str, tmp_path: Path
) -> None:
    with database(kind, tmp_path) as url:
        db = Database.parse(url)
        engine = db.adapters_engine()
        prefix = f"{db.schema}." if db.schema else ""  # raw SQL: no schema translation
        with engine.begin() as conn:  # the tables as the previous release created them
            conn.execute(
                sa.text(
                    f"CREATE TABLE {prefix}tenantry_http_clients ("
                    "client_id VARCHAR(64) PRIMARY KEY, "
                    "name VARCHAR(200) NOT NULL, secret_hash VARCHAR(512) NOT NULL, "
                    "secret_version INTEGER NOT NULL, created_at TIMESTAMP NOT NULL, "
                    "rotated_at TIMESTAMP)"
                )
            )
            conn.execute(
                sa.text(
                    f"CREATE TABLE {prefix}tenantry_http_signing_keys (slot INTEGER PRIMARY KEY, "
                    "kid VARCHAR(64) NOT NULL, private_key_pem TEXT NOT NULL, "
                    "created_at TIMESTAMP NOT NULL)"
                )
            )
            conn.execute(
                sa.text(
                    f"INSERT INTO {prefix}tenantry_http_clients VALUES "
                    "('cli_old', 'old', 'scrypt$00$00', 1, '2026-01-01 00:00:00', NULL)"
                )
            )
        (old,) = ClientAuth(engine).list_clients()
        assert (old.client_id, old.scopes, old.organizations) == ("cli_old", None, None)
        assert ClientAuth(engine).jwks()["keys"]  # a second start finds the columns there
        engine.dispose()


def test_a_host_apps_own_principal_may_do_everything() -> None:
    with in_process() as (app, _):
        open_router = create_router(app.state.tenantry, auth=None)
        host = FastAPI()
        host.include_router(open_router)
        with TestClient(host) as client:
            r = client.post(ORGS, json={"display_name": "Open"})
            assert r.status_code == 201, r.text


def test_a_restricted_client_reaches_users_only_through_its_organizations(
    served: tuple[FastAPI, TestClient], admin: Api
) -> None:
    mine = admin.create_org(display_name="Users Mine")
    other = admin.create_org(display_name="Users Other")
    for org in (mine, other):
        r = admin.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "ann@users.example"})
        assert r.status_code == 201, r.text
    user_id = r.json()["user"]["id"]
    api = scoped(*served, ["members:write"], organizations=[mine["id"]])

    for method, path in (
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/users:search?query=ann@users"),
        ("GET", f"/api/v1/users/{user_id}"),
        ("DELETE", f"/api/v1/users/{user_id}"),
        ("GET", f"/api/v1/users/{user_id}/history"),
    ):
        assert_error(api.call(method, path), 403, "permission_denied")
    found = api.call("GET", f"{ORGS}/{mine['id']}/users:search", params={"query": "ann@users"})
    assert found.status_code == 200, found.text
    (user,) = found.json()["users"]
    assert [m["organization_id"] for m in user["memberships"]] == [mine["id"]]
    elsewhere = api.call("GET", f"{ORGS}/{other['id']}/users:search", params={"query": "ann@u"})
    assert_error(elsewhere, 404, "organization_not_found")
    assert admin.call("GET", f"/api/v1/users/{user_id}").status_code == 200
