"""The REST API in process (FastAPI's test client over memory://): every route, every error kind,
tokens, idempotent retries and the mountable router."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import tenantry
from tenantry.adapters.auth.clients import ClientNotFound, NewSecret
from tenantry.adapters.http import (
    ClientAuth,
    IdempotencyStore,
    Principal,
    create_router,
    engine_for,
)
from tenantry.adapters.http.errors import IdempotencyKeyInUse, IdempotencyOutcomeUnknown
from tenantry.adapters.http.idempotency import STALE_AFTER, Reservation
from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry
from tenantry.domain.errors import Unauthenticated
from tests.integration.http_support import (
    ORGS,
    Api,
    assert_error,
    authorized,
    host_auth,
    in_process,
    token,
)


@pytest.fixture
def server() -> Iterator[tuple[FastAPI, TestClient]]:
    with in_process() as app_and_client:
        yield app_and_client


@pytest.fixture
def api(server: tuple[FastAPI, TestClient]) -> Api:
    return authorized(*server)


# --- tokens ---------------------------------------------------------------------------------------


def test_a_token_is_issued_for_valid_client_credentials(server: tuple[FastAPI, TestClient]) -> None:
    app, client = server
    new = app.state.clients.create_client("billing")
    r = token(client, new.client_id, new.client_secret)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert r.headers["cache-control"] == "no-store"
    keys = client.get("/keys").json()["keys"]
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["alg"] == "RS256"


def test_a_wrong_secret_gets_no_token(server: tuple[FastAPI, TestClient]) -> None:
    app, client = server
    new = app.state.clients.create_client("billing")
    r = token(client, new.client_id, new.client_secret + "x")
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert token(client, "cli_unknown", "whatever").json()["error"] == "invalid_client"


def test_the_token_endpoint_refuses_other_grant_types(server: tuple[FastAPI, TestClient]) -> None:
    _, client = server
    r = client.post("/oauth/token", data={"grant_type": "password"})
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


def test_http_basic_client_authentication_is_accepted(server: tuple[FastAPI, TestClient]) -> None:
    app, client = server
    new = app.state.clients.create_client("billing")
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(new.client_id, new.client_secret),
    )
    assert r.status_code == 200


def test_api_routes_need_a_valid_token(server: tuple[FastAPI, TestClient]) -> None:
    _, client = server
    assert_error(client.get(f"{ORGS}/org_x"), 401, "unauthenticated")
    r = client.get(f"{ORGS}/org_x", headers={"Authorization": "Bearer not.a.jwt"})
    assert_error(r, 401, "unauthenticated")
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(client.post(ORGS, json={"display_name": "x"}), 401, "unauthenticated")


def client_with_an_organization(
    clients: ClientAuth, client: TestClient
) -> tuple[NewSecret, dict[str, str], dict[str, Any]]:
    """A new API client, its bearer header, and an organization it created."""
    new = clients.create_client("billing")
    access = token(client, new.client_id, new.client_secret).json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    org = client.post(ORGS, json={"display_name": "Acme"}, headers=headers).json()["organization"]
    return new, headers, org


def test_rotating_a_secret_revokes_the_old_secret_and_its_tokens(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    clients: ClientAuth = app.state.clients
    old, headers, org = client_with_an_organization(clients, client)
    new = clients.rotate_secret(old.client_id)
    assert_error(client.get(f"{ORGS}/{org['id']}", headers=headers), 401, "unauthenticated")
    assert token(client, old.client_id, old.client_secret).status_code == 401
    fresh = token(client, new.client_id, new.client_secret).json()["access_token"]
    r = client.get(f"{ORGS}/{org['id']}", headers={"Authorization": f"Bearer {fresh}"})
    assert r.json()["organization"]["id"] == org["id"]
    assert [c.secret_version for c in clients.list_clients()] == [2]


@pytest.mark.parametrize("change", ["rotate", "delete"])
def test_another_process_rotating_or_deleting_a_client_revokes_tokens_within_the_delay(
    server: tuple[FastAPI, TestClient], change: str
) -> None:
    app, client = server
    now = [1000.0]
    delay = timedelta(seconds=5)
    worker = ClientAuth(app.state.clients.engine, revocation_delay=delay, monotonic=lambda: now[0])
    other_process = ClientAuth(app.state.clients.engine)
    new = other_process.create_client("billing")
    access = token(client, new.client_id, new.client_secret).json()["access_token"]
    assert worker.cached(access) is None  # never verified here: no shortcut
    assert worker.verify(access) == Principal(client_id=new.client_id)
    assert worker.cached(access) == Principal(client_id=new.client_id)  # remembered
    if change == "rotate":
        other_process.rotate_secret(new.client_id)
    else:
        other_process.delete_client(new.client_id)
    now[0] += 4.9
    assert worker.cached(access) == Principal(client_id=new.client_id)  # the documented lag
    now[0] += 0.1
    assert worker.cached(access) is None
    with pytest.raises(Unauthenticated) as e:
        worker.verify(access)
    assert e.value.code == "unauthenticated"
    assert "revoked" in e.value.message


def test_a_remembered_token_is_refused_once_it_expires(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    now = [datetime.now(UTC)]
    worker = ClientAuth(app.state.clients.engine, clock=lambda: now[0])
    new = worker.create_client("billing")
    access = token(client, new.client_id, new.client_secret).json()["access_token"]
    assert worker.verify(access) == Principal(client_id=new.client_id)
    assert worker.cached(access) == Principal(client_id=new.client_id)  # remembered
    # The server stamped the token with its own clock: expiry is the token's "exp" claim.
    expires = datetime.fromtimestamp(
        jwt.decode(access, options={"verify_signature": False})["exp"], UTC
    )
    now[0] = expires - timedelta(seconds=1)
    assert worker.cached(access) == Principal(client_id=new.client_id)
    now[0] = expires
    assert worker.cached(access) is None
    with pytest.raises(Unauthenticated) as e:
        worker.verify(access)
    assert "expired" in e.value.message


def test_a_remembered_token_is_answered_by_the_server_and_refused_there_once_revoked(
    server: tuple[FastAPI, TestClient],
) -> None:
    app, client = server
    clients: ClientAuth = app.state.clients
    new, headers, org = client_with_an_organization(clients, client)
    access = headers["Authorization"].removeprefix("Bearer ")
    assert clients.cached(access) == Principal(client_id=new.client_id)
    assert client.get(f"{ORGS}/{org['id']}", headers=headers).status_code == 200
    clients.delete_client(new.client_id)  # in this process: refused at once
    assert clients.cached(access) is None
    assert_error(client.get(f"{ORGS}/{org['id']}", headers=headers), 401, "unauthenticated")


def test_a_deleted_client_can_no_longer_call(server: tuple[FastAPI, TestClient]) -> None:
    app, client = server
    clients: ClientAuth = app.state.clients
    new = clients.create_client("billing")
    access = token(client, new.client_id, new.client_secret).json()["access_token"]
    clients.delete_client(new.client_id)
    r = client.get(f"{ORGS}/org_x", headers={"Authorization": f"Bearer {access}"})
    assert_error(r, 401, "unauthenticated")
    with pytest.raises(ClientNotFound) as e:
        clients.delete_client(new.client_id)
    assert e.value.client_id == new.client_id


def test_an_expired_token_is_refused(server: tuple[FastAPI, TestClient]) -> None:
    app, client = server
    clients: ClientAuth = app.state.clients
    new = clients.create_client("billing")
    past = ClientAuth(clients.engine, clock=lambda: datetime.now(UTC) - timedelta(hours=1))
    access, _ = past.issue_token(new.client_id, new.client_secret)
    body = assert_error(
        client.get(f"{ORGS}/org_x", headers={"Authorization": f"Bearer {access}"}),
        401,
        "unauthenticated",
    )
    assert "expired" in body["message"]


# --- organizations ----------------------------------------------------------------------------


def test_an_organization_is_created_read_updated_and_deleted(api: Api) -> None:
    org = api.create_org(external_id="acme-1", metadata={"plan": "pro"}, slug="acme")
    assert org["id"].startswith("org_")
    assert org["create_time"].endswith("Z")
    got = api.call("GET", f"{ORGS}/{org['id']}").json()["organization"]
    assert got == org
    by_ext = api.call("GET", f"{ORGS}:external/acme-1").json()["organization"]
    assert by_ext["id"] == org["id"]
    r = api.call("PATCH", f"{ORGS}/{org['id']}", json={"display_name": "Acme Inc", "slug": ""})
    assert r.status_code == 200
    updated = r.json()["organization"]
    assert (updated["display_name"], updated["slug"], updated["external_id"]) == (
        "Acme Inc",
        None,
        "acme-1",
    )
    assert int(r.headers["x-tenantry-position"]) > 0
    r = api.call("PATCH", f"{ORGS}:external/acme-1", json={"external_id": "acme-2", "slug": "a"})
    assert r.status_code == 200, r.text
    by_ext = r.json()["organization"]
    assert (by_ext["id"], by_ext["external_id"], by_ext["slug"]) == (org["id"], "acme-2", "a")
    unknown = api.call("PATCH", f"{ORGS}:external/acme-1", json={"display_name": "X"})
    assert_error(unknown, 404, "organization_not_found")
    deleted = api.call("DELETE", f"{ORGS}/{org['id']}")
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert_error(api.call("GET", f"{ORGS}/{org['id']}"), 404, "organization_not_found")
    assert_error(api.call("GET", f"{ORGS}:external/acme-2"), 404, "organization_not_found")


def test_a_patch_that_changes_nothing_returns_the_organization_unchanged(api: Api) -> None:
    org = api.create_org()
    r = api.call("PATCH", f"{ORGS}/{org['id']}", json={"display_name": "Acme"})
    assert r.status_code == 200
    assert r.json()["organization"]["version"] == org["version"]


def test_features_are_turned_on_and_unknown_features_refused(api: Api) -> None:
    org = api.create_org()
    body = {"features": [{"name": "sso", "enabled": True}]}
    r = api.call("PATCH", f"{ORGS}/{org['id']}/settings", json=body)
    features = {f["name"]: f["enabled"] for f in r.json()["organization"]["settings"]["features"]}
    assert features["sso"] is True
    bad = {"features": [{"name": "teleport", "enabled": True}]}
    err = assert_error(
        api.call("PATCH", f"{ORGS}/{org['id']}/settings", json=bad), 400, "unknown_feature"
    )
    assert err["details"]["name"] == "teleport"


def test_the_seat_limit_is_set_and_read(api: Api) -> None:
    org = api.create_org()
    path = f"{ORGS}/{org['id']}/settings/usermanagement"
    assert api.call("GET", path).json() == {"settings": {"max_allowed_users": None}}
    r = api.call("PATCH", path, json={"settings": {"max_allowed_users": 2}})
    assert r.json() == {"settings": {"max_allowed_users": 2}}
    assert api.call("GET", path).json() == {"settings": {"max_allowed_users": 2}}
    assert_error(
        api.call("PATCH", path, json={"settings": {"max_allowed_users": -1}}), 400, "invalid_field"
    )
    usage = api.call("GET", f"{ORGS}/{org['id']}/seat-usage").json()
    assert (usage["seats_in_use"], usage["seats_free"]) == (0, 2)


def test_the_session_policy_is_set_and_read(api: Api) -> None:
    org = api.create_org()
    path = f"{ORGS}/{org['id']}/session-policy"
    assert api.call("GET", path).json()["policy"]["policy_source"] == "APPLICATION"
    policy = {
        "policy_source": "CUSTOM",
        "absolute_session_timeout": 7,
        "absolute_session_timeout_unit": "DAYS",
        "idle_session_timeout_enabled": True,
        "idle_session_timeout": 30,
        "idle_session_timeout_unit": "MINUTES",
    }
    r = api.call("PATCH", path, json=policy)
    assert r.status_code == 200, r.text
    # The effective policy: the stricter of the application's (30 days) and this one.
    answer = {"policy": {"organization_id": org["id"], **policy, "effective": policy}}
    assert r.json() == answer
    assert api.call("GET", path).json() == answer
    bad = {**policy, "idle_session_timeout": 8, "idle_session_timeout_unit": "DAYS"}
    err = assert_error(api.call("PATCH", path, json=bad), 400, "invalid_field")
    assert err["details"]["field"] == "idle_session_timeout"
    wrong_unit = {**policy, "absolute_session_timeout_unit": "WEEKS"}
    err = assert_error(api.call("PATCH", path, json=wrong_unit), 400, "invalid_field")
    assert err["details"]["field"] == "absolute_session_timeout_unit"


def test_allowed_sign_in_methods_are_set_and_read(api: Api) -> None:
    org = api.create_org()
    path = f"{ORGS}/{org['id']}/sign-in-methods"
    assert api.call("GET", path).json()["allowed_sign_in_methods"] is None
    r = api.call("PATCH", path, json={"allowed_sign_in_methods": ["sso", "passkey"]})
    assert r.json()["allowed_sign_in_methods"] == ["passkey", "sso"]
    err = assert_error(
        api.call("PATCH", path, json={"allowed_sign_in_methods": ["pigeon"]}), 400, "invalid_field"
    )
    assert err["details"]["field"] == "allowed_sign_in_methods"


# --- members -------------------------------------------------------------------------------------


def test_an_invitation_holds_a_seat_and_the_next_is_refused(api: Api) -> None:
    org = api.create_org()
    api.call(
        "PATCH",
        f"{ORGS}/{org['id']}/settings/usermanagement",
        json={"settings": {"max_allowed_users": 1}},
    )
    r = api.call(
        "POST",
        f"{ORGS}/{org['id']}/users",
        json={"email": "ada@acme.example", "membership": {"roles": ["admin"]}},
    )
    assert r.status_code == 201
    user = r.json()["user"]
    assert user["email"] == "ada@acme.example"
    assert user["memberships"][0]["membership_status"] == "PENDING_INVITE"
    assert user["memberships"][0]["invitation"]["status"] == "pending"
    err = assert_error(
        api.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "bob@acme.example"}),
        422,
        "seat_limit_reached",
    )
    assert err["details"] == {"organization_id": org["id"], "limit": 1, "in_use": 1}
    again = api.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "ada@acme.example"})
    assert_error(again, 409, "already_member")


def test_a_membership_is_resent_accepted_changed_suspended_and_removed(api: Api) -> None:
    org = api.create_org()
    user = api.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "ada@acme.example"}).json()[
        "user"
    ]
    path = f"/api/v1/memberships/organizations/{org['id']}/users/{user['id']}"
    resent = api.call(
        "PATCH", f"/api/v1/invites/organizations/{org['id']}/users/{user['id']}/resend"
    )
    invite = resent.json()["invite"]
    assert (invite["user_id"], invite["status"], invite["resent_count"]) == (
        user["id"],
        "pending",
        1,
    )
    active = api.call("PATCH", path, json={"status": "ACTIVE", "roles": ["admin", "member"]})
    membership = active.json()["user"]["memberships"][0]
    assert membership["membership_status"] == "ACTIVE"
    assert [r["name"] for r in membership["roles"]] == ["admin", "member"]
    resend_active = api.call(
        "PATCH", f"/api/v1/invites/organizations/{org['id']}/users/{user['id']}/resend"
    )
    assert_error(resend_active, 422, "invitation_not_pending")
    inactive = api.call("PATCH", path, json={"membership_status": "INACTIVE"})
    assert inactive.json()["user"]["memberships"][0]["membership_status"] == "INACTIVE"
    assert api.call("GET", path).json()["user"]["memberships"][0]["membership_status"] == "INACTIVE"
    both = api.call("PATCH", path, json={"membership_status": "ACTIVE", "status": "INACTIVE"})
    assert assert_error(both, 400, "invalid_field")["details"]["field"] == "membership_status"
    deleted = api.call("DELETE", path)
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert_error(api.call("GET", path), 404, "membership_not_found")
    again = api.call("POST", path, params={"send_invitation_email": "false"})
    assert again.status_code == 201, again.text
    assert again.json()["user"]["memberships"][0]["provisioning_method"] == "direct_provision"


def test_a_membership_patch_changes_roles_and_metadata_together_or_not_at_all(
    server: tuple[FastAPI, TestClient], api: Api
) -> None:
    app, _ = server
    t: Tenantry = app.state.tenantry
    org = api.create_org()
    added = api.call(
        "POST",
        f"{ORGS}/{org['id']}/users",
        params={"send_invitation_email": "false"},
        json={"email": "ada@acme.example"},
    )
    path = f"/api/v1/memberships/organizations/{org['id']}/users/{added.json()['user']['id']}"
    before = t.recorder.max_notification_id()
    bad = api.call("PATCH", path, json={"roles": ["admin"], "metadata": {"x": "too short a key"}})
    assert assert_error(bad, 400, "invalid_field")["details"]["field"].startswith("metadata.")
    assert t.recorder.max_notification_id() == before
    held = api.call("GET", path).json()["user"]["memberships"][0]["roles"]
    assert [(r["name"], r["display_name"]) for r in held] == [("member", "Member")]
    ok = api.call("PATCH", path, json={"roles": ["admin"], "metadata": {"team": "ops"}})
    membership = ok.json()["user"]["memberships"][0]
    assert (membership["roles"][0]["name"], membership["metadata"]) == ("admin", {"team": "ops"})
    assert int(ok.headers["x-tenantry-position"]) == t.recorder.max_notification_id()
    records = t.recorder.select_notifications(start=before, limit=10, inclusive_of_start=False)
    assert [r.topic.rpartition(":")[2] for r in records] == [
        "Organization.MemberRolesChanged",
        "Organization.MemberMetadataChanged",
        "Membership.RolesChanged",
        "Membership.MetadataChanged",
    ]
    same = api.call("PATCH", path, json={"roles": ["admin"], "metadata": {"team": "ops"}})
    assert same.status_code == 200
    assert [r["name"] for r in same.json()["user"]["memberships"][0]["roles"]] == ["admin"]


def test_an_unknown_user_or_membership_is_not_found(api: Api) -> None:
    org = api.create_org()
    other = api.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "ada@acme.example"})
    user_id = other.json()["user"]["id"]
    second = api.create_org(display_name="Globex")
    path = f"/api/v1/memberships/organizations/{second['id']}/users/{user_id}"
    assert_error(api.call("GET", path), 404, "membership_not_found")
    ghost = "usr_" + "0" * 26
    missing = f"/api/v1/memberships/organizations/{second['id']}/users/{ghost}"
    assert_error(api.call("POST", missing), 404, "user_not_found")


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": ""}, "display_name"),
        ({"display_name": 5}, "display_name"),
        ({}, "display_name"),
        ({"display_name": "Acme", "colour": "red"}, "colour"),
        ({"display_name": "Acme", "metadata": {"k": "v"}}, "metadata.k"),
        ({"display_name": "Acme", "logo_url": "http://x.example/l.png"}, "logo_url"),
        ({"display_name": "Acme", "region_code": "MARS"}, "region_code"),
        ({"display_name": "Acme", "slug": "Not A Slug"}, "slug"),
    ],
)
def test_a_bad_organization_names_the_field_and_records_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    err = assert_error(api.call("POST", ORGS, json=body), 400, "invalid_field")
    assert err["details"]["field"] == field
    assert err["message"].startswith(f"{field}:")


def test_malformed_json_and_malformed_ids_are_invalid_arguments(api: Api) -> None:
    r = api.call("POST", ORGS, content=b"{nope", headers={"content-type": "application/json"})
    assert assert_error(r, 400, "invalid_field")["details"]["field"] == "body"
    err = assert_error(api.call("GET", f"{ORGS}/org_short"), 400, "invalid_field")
    assert err["details"]["field"] == "organization_id"


def test_an_oversize_body_is_refused_with_413(api: Api) -> None:
    r = api.call("POST", ORGS, content=b"x" * 70_000, headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_unknown_paths_and_methods_answer_in_the_error_shape(api: Api) -> None:
    assert_error(api.call("GET", "/api/v1/nothing"), 404, "not_found")
    assert_error(api.call("PUT", ORGS), 405, "method_not_allowed")


# --- idempotency --------------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_returns_the_first_response(
    server: tuple[FastAPI, TestClient], api: Api
) -> None:
    app, _ = server
    t: Tenantry = app.state.tenantry
    key = {"Idempotency-Key": "create-acme-1"}
    first = api.call("POST", ORGS, json={"display_name": "Acme", "external_id": "a1"}, headers=key)
    position = t.recorder.max_notification_id()
    retry = api.call("POST", ORGS, json={"external_id": "a1", "display_name": "Acme"}, headers=key)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert t.recorder.max_notification_id() == position


def test_the_same_idempotency_key_with_another_body_is_refused(api: Api) -> None:
    key = {"Idempotency-Key": "k-1"}
    api.call("POST", ORGS, json={"display_name": "Acme"}, headers=key)
    r = api.call("POST", ORGS, json={"display_name": "Globex"}, headers=key)
    assert assert_error(r, 422, "idempotency_key_reused")["details"] == {"key": "k-1"}


def test_an_error_response_is_replayed_too(api: Api) -> None:
    key = {"Idempotency-Key": "dup"}
    api.create_org(external_id="taken")
    first = api.call("POST", ORGS, json={"display_name": "B", "external_id": "taken"}, headers=key)
    assert_error(first, 409, "external_id_taken")
    again = api.call("POST", ORGS, json={"display_name": "B", "external_id": "taken"}, headers=key)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_idempotency_keys_are_scoped_per_client(server: tuple[FastAPI, TestClient]) -> None:
    app, client = server
    calls = []
    for name in ("a", "b"):
        new = app.state.clients.create_client(name)
        access = token(client, new.client_id, new.client_secret).json()["access_token"]
        calls.append(
            client.post(
                ORGS,
                json={"display_name": "Acme"},
                headers={"Authorization": f"Bearer {access}", "Idempotency-Key": "same"},
            ).json()["organization"]["id"]
        )
    assert calls[0] != calls[1]


def test_a_stale_reservation_is_taken_over_only_if_nothing_was_recorded_since() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    store = IdempotencyStore(engine_for("memory://"), clock=lambda: now[0])
    try:
        assert store.begin("client", "k", "print", 7) == Reservation("client", "k")
        with pytest.raises(IdempotencyKeyInUse) as in_use:
            store.begin("client", "k", "print", 7)
        assert in_use.value.code == "idempotency_key_in_use"
        now[0] += STALE_AFTER  # the first request died without answering
        with pytest.raises(IdempotencyOutcomeUnknown) as unknown:
            store.begin("client", "k", "print", 8)  # something was recorded since: maybe it
        assert (unknown.value.code, unknown.value.details) == (
            "idempotency_outcome_unknown",
            {"key": "k"},
        )
        assert store.begin("client", "k", "print", 7) == Reservation("client", "k")
    finally:
        store.engine.dispose()


def test_a_list_that_cannot_catch_up_in_time_answers_503_with_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t = tenantry.connect("memory://")
    views = ProjectionStore(t)
    monkeypatch.setattr(views, "catch_up", lambda *args, **kwargs: None)  # a stuck projection
    host = FastAPI()
    host.include_router(create_router(t, auth=None, projections=views, read_timeout=0.05))
    try:
        with TestClient(host) as client:
            assert client.post(ORGS, json={"display_name": "A"}).status_code == 201
            r = client.get(ORGS)
            body = assert_error(r, 503, "projection_behind")
            assert r.headers["retry-after"] == "1"
            assert body["details"]["position"] == t.recorder.max_notification_id()
    finally:
        views.close()
        t.close()


# --- mounting ----------------------------------------------------------------------------------


def test_the_router_mounts_in_a_host_app_behind_the_hosts_own_auth() -> None:
    t = tenantry.connect("memory://")

    host = FastAPI()
    host.include_router(create_router(t, auth=host_auth), prefix="/orgs-api")
    try:
        with TestClient(host) as client:
            refused = client.post("/orgs-api/api/v1/organizations", json={"display_name": "A"})
            assert refused.status_code == 403
            ok = client.post(
                "/orgs-api/api/v1/organizations",
                json={"display_name": "A"},
                headers={"X-Api-Key": "let-me-in"},
            )
            assert ok.status_code == 201
            org_id = ok.json()["organization"]["id"]
            assert t.get_organization(org_id).display_name == "A"
            bad = client.post(
                "/orgs-api/api/v1/organizations",
                json={"display_name": ""},
                headers={"X-Api-Key": "let-me-in"},
            )
            assert_error(bad, 400, "invalid_field")
    finally:
        t.close()


def test_the_openapi_document_describes_every_route_and_its_errors(api: Api) -> None:
    spec = api.call("GET", "/openapi.json").json()
    paths = spec["paths"]
    assert set(paths) >= {
        ORGS,
        f"{ORGS}/{{organization_id}}",
        f"{ORGS}:external/{{external_id}}",
        f"{ORGS}/{{organization_id}}/settings",
        f"{ORGS}/{{organization_id}}/settings/usermanagement",
        f"{ORGS}/{{organization_id}}/session-policy",
        f"{ORGS}/{{organization_id}}/users",
        "/api/v1/memberships/organizations/{organization_id}/users/{user_id}",
        "/api/v1/invites/organizations/{organization_id}/users/{user_id}/resend",
        "/oauth/token",
        "/keys",
    }
    create = paths[ORGS]["post"]
    assert {"201", "400", "401", "409", "413", "422"} <= set(create["responses"])
    assert create["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody"
    )
    assert "client_credentials" in spec["components"]["securitySchemes"]
    assert api.call("GET", "/docs").status_code == 200


# --- lists (from the projections) ---------------------------------------------------------------


def test_a_created_organization_is_listed_and_found_at_once(api: Api) -> None:
    made = [api.create_org(display_name=f"Org {i}", external_id=f"ext-{i}") for i in range(12)]
    page = api.call("GET", ORGS, params={"page_size": 10}).json()
    assert page["total_size"] == 12
    assert [o["id"] for o in page["organizations"]] == [o["id"] for o in made[:10]]
    rest = api.call("GET", ORGS, params={"page_size": 10, "page_token": page["next_page_token"]})
    assert [o["id"] for o in rest.json()["organizations"]] == [o["id"] for o in made[10:]]
    by_ext = api.call("GET", ORGS, params={"external_id": "ext-3"}).json()
    assert [o["id"] for o in by_ext["organizations"]] == [made[3]["id"]]
    found = api.call("GET", f"{ORGS}:search", params={"query": "org 1"}).json()
    assert {o["display_name"] for o in found["organizations"]} == {"Org 1", "Org 10", "Org 11"}


def test_bad_page_tokens_and_page_sizes_are_invalid_arguments(api: Api) -> None:
    err = assert_error(
        api.call("GET", ORGS, params={"page_token": "garbage"}), 400, "invalid_field"
    )
    assert err["details"]["field"] == "page_token"
    err = assert_error(api.call("GET", ORGS, params={"page_size": 1000}), 400, "invalid_field")
    assert err["details"]["field"] == "page_size"
    err = assert_error(
        api.call("GET", f"{ORGS}:search", params={"query": "ab"}), 400, "invalid_field"
    )
    assert err["details"]["field"] == "query"


def test_an_invited_member_is_listed_at_once(api: Api) -> None:
    org = api.create_org()
    api.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "ada@acme.example"})
    api.call(
        "POST",
        f"{ORGS}/{org['id']}/users",
        json={"email": "bob@acme.example"},
        params={"send_invitation_email": "false"},
    )
    page = api.call("GET", f"{ORGS}/{org['id']}/users").json()
    memberships = [(u["email"], u["memberships"]) for u in page["users"]]
    assert {(email, m[0]["membership_status"]) for email, m in memberships} == {
        ("ada@acme.example", "PENDING_INVITE"),
        ("bob@acme.example", "ACTIVE"),
    }
    active = api.call("GET", f"{ORGS}/{org['id']}/users", params={"status": "ACTIVE"}).json()
    assert [u["email"] for u in active["users"]] == ["bob@acme.example"]


def test_a_withdrawn_invitation_stays_readable_and_is_listed_by_its_status(api: Api) -> None:
    org = api.create_org()
    user = api.call("POST", f"{ORGS}/{org['id']}/users", json={"email": "ada@acme.example"})
    path = f"/api/v1/memberships/organizations/{org['id']}/users/{user.json()['user']['id']}"
    deleted = api.call("DELETE", path)
    assert (deleted.status_code, deleted.json()) == (200, {})
    membership = api.call("GET", path).json()["user"]["memberships"][0]
    assert (membership["membership_status"], membership["invitation"]["status"]) == (
        "REMOVED",
        "revoked",
    )
    listed = api.call("GET", f"{ORGS}/{org['id']}/users", params={"status": "REMOVED"}).json()
    assert [u["email"] for u in listed["users"]] == ["ada@acme.example"]
    assert api.call("GET", f"{ORGS}/{org['id']}/users").json()["users"] == []
