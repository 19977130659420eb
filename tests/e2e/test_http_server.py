"""A real ``tenantry serve`` process over HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tenantry.adapters.auth.clients import REVOCATION_DELAY
from tests.e2e.http_support import (  # noqa: F401 - pytest fixtures
    Server,
    cli,
    create_client,
    serve,
    served_database,
    server,
)

ORGS = "/api/v1/organizations"


def error_code(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error_code", "code", "message", "details"}
    code: str = body["error_code"]
    assert body["code"] == code
    return code


def test_the_served_api_covers_organizations_settings_and_members(server: Server) -> None:  # noqa: F811
    with server.client() as api:
        created = api.post(ORGS, json={"display_name": "Acme", "external_id": "acme"})
        assert created.status_code == 201
        org = created.json()["organization"]
        # read your writes: the very next request sees the write
        assert api.get(f"{ORGS}/{org['id']}").json()["organization"] == org
        assert api.get(f"{ORGS}:external/acme").json()["organization"]["id"] == org["id"]
        listed = api.get(ORGS, params={"external_id": "acme"}).json()["organizations"]
        assert [o["id"] for o in listed] == [org["id"]]
        renamed = api.patch(f"{ORGS}/{org['id']}", json={"display_name": "Acme Inc"})
        assert (
            api.get(f"{ORGS}/{org['id']}").json()["organization"] == renamed.json()["organization"]
        )
        features = api.patch(
            f"{ORGS}/{org['id']}/settings", json={"features": [{"name": "sso", "enabled": True}]}
        ).json()["organization"]["settings"]["features"]
        assert {"name": "sso", "enabled": True} in features
        seats = f"{ORGS}/{org['id']}/settings/usermanagement"
        api.patch(seats, json={"settings": {"max_allowed_users": 1}})
        assert api.get(seats).json() == {"settings": {"max_allowed_users": 1}}
        policy = {
            "policy_source": "CUSTOM",
            "absolute_session_timeout": 12,
            "absolute_session_timeout_unit": "HOURS",
        }
        assert api.patch(f"{ORGS}/{org['id']}/session-policy", json=policy).status_code == 200
        read = api.get(f"{ORGS}/{org['id']}/session-policy").json()
        assert read["policy"]["absolute_session_timeout"] == 12
        invited = api.post(f"{ORGS}/{org['id']}/users", json={"email": "ada@acme.example"})
        user_id = invited.json()["user"]["id"]
        full = api.post(f"{ORGS}/{org['id']}/users", json={"email": "bob@acme.example"})
        assert error_code(full, 422) == "seat_limit_reached"
        resend = f"/api/v1/invites/organizations/{org['id']}/users/{user_id}/resend"
        assert api.patch(resend).json()["invite"]["resent_count"] == 1
        membership = f"/api/v1/memberships/organizations/{org['id']}/users/{user_id}"
        accepted = api.patch(membership, json={"membership_status": "ACTIVE"})
        assert accepted.json()["user"]["memberships"][0]["membership_status"] == "ACTIVE"
        users = api.get(f"{ORGS}/{org['id']}/users").json()["users"]
        assert [(u["email"], u["memberships"][0]["membership_status"]) for u in users] == [
            ("ada@acme.example", "ACTIVE")
        ]
        assert api.delete(membership).status_code == 200
        assert error_code(api.get(membership), 404) == "membership_not_found"
        assert api.get(f"{ORGS}/{org['id']}/users").json()["users"] == []
        assert api.delete(f"{ORGS}/{org['id']}").status_code == 200
        assert error_code(api.get(f"{ORGS}/{org['id']}"), 404) == "organization_not_found"


def test_every_error_kind_is_json_with_its_status(server: Server) -> None:  # noqa: F811
    assert error_code(httpx.get(f"{server.base_url}{ORGS}/org_x"), 401) == "unauthenticated"
    with server.client() as api:
        assert error_code(api.post(ORGS, json={"display_name": ""}), 400) == "invalid_field"
        assert error_code(api.post(ORGS, json={"name": "x"}), 400) == "invalid_field"
        ghost = "org_" + "0" * 26
        assert error_code(api.get(f"{ORGS}/{ghost}"), 404) == "organization_not_found"
        api.post(ORGS, json={"display_name": "A", "external_id": "one"})
        dup = api.post(ORGS, json={"display_name": "B", "external_id": "one"})
        assert error_code(dup, 409) == "external_id_taken"
        big = api.post(ORGS, content=b"[" * 100_000, headers={"content-type": "application/json"})
        assert error_code(big, 413) == "payload_too_large"


def test_a_retried_create_with_an_idempotency_key_creates_one_organization(
    server: Server,  # noqa: F811
) -> None:
    with server.client() as api:
        body = {"display_name": "Acme", "external_id": "retry-me"}
        first = api.post(ORGS, json=body, headers={"Idempotency-Key": "abc"})
        second = api.post(ORGS, json=body, headers={"Idempotency-Key": "abc"})
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        other = api.post(ORGS, json={"display_name": "Other"}, headers={"Idempotency-Key": "abc"})
        assert error_code(other, 422) == "idempotency_key_reused"
        # without the key the same body is a second create, refused by the external id rule
        assert error_code(api.post(ORGS, json=body), 409) == "external_id_taken"


def test_clients_are_created_listed_rotated_and_deleted_from_the_command_line(
    server: Server,  # noqa: F811
) -> None:
    listed = cli("clients", "list", "--database-url", server.database_url)
    assert server.client_id in listed.stdout
    old_token = server.token()
    headers = {"Authorization": f"Bearer {old_token}"}
    ghost = f"{server.base_url}{ORGS}/org_{'0' * 26}"
    assert httpx.get(ghost, headers=headers).status_code == 404  # verified and remembered
    rotated = cli("clients", "rotate", server.client_id, "--database-url", server.database_url)
    assert rotated.returncode == 0, rotated.stderr
    time.sleep(REVOCATION_DELAY.total_seconds())  # the server re-reads secret versions this often
    assert error_code(httpx.get(ghost, headers=headers), 401) == "unauthenticated"
    server.client_secret = rotated.stdout.split("client_secret: ")[1].strip()
    with server.client() as api:
        assert error_code(api.get(f"{ORGS}/org_x"), 400) == "invalid_field"
    deleted = cli("clients", "delete", server.client_id, "--database-url", server.database_url)
    assert deleted.returncode == 0
    again = cli("clients", "delete", server.client_id, "--database-url", server.database_url)
    assert again.returncode == 4  # not found
    assert "client_not_found" in again.stderr


def test_sigterm_loses_no_acknowledged_write(served_database: str, tmp_path: Path) -> None:  # noqa: F811
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer(s: Server, access: str, n: int) -> None:
        with httpx.Client(base_url=s.base_url, timeout=30) as c:
            for i in range(200):
                if stop.is_set() and i % 2:
                    return
                try:
                    r = c.post(
                        ORGS,
                        json={"display_name": f"w{n}-{i}"},
                        headers={"Authorization": f"Bearer {access}"},
                    )
                except httpx.TransportError:
                    return  # the server has stopped accepting: fine, nothing was acknowledged
                if r.status_code == 201:
                    acknowledged.append(r.json()["organization"]["id"])
                else:
                    assert r.status_code < 500, r.text

    with serve(served_database, log=tmp_path / "first.log") as s:
        access = s.token()
        threads = [threading.Thread(target=writer, args=(s, access, n)) for n in range(4)]
        for th in threads:
            th.start()
        while len(acknowledged) < 20 and any(th.is_alive() for th in threads):
            threading.Event().wait(0.05)
        stop.set()
        # uvicorn re-raises the SIGTERM it handled once shut down gracefully
        assert s.stop() in (0, -15)
        for th in threads:
            th.join()
    assert len(acknowledged) >= 20
    with serve(served_database, log=tmp_path / "second.log") as s, s.client() as api:
        missing: list[Any] = [
            oid for oid in acknowledged if api.get(f"{ORGS}/{oid}").status_code != 200
        ]
    assert missing == []


def test_serve_refuses_a_bad_database_url() -> None:
    out = cli("serve", "--database-url", "mysql://nope")
    assert out.returncode == 3  # invalid argument
    assert "database_url" in out.stderr


def test_clients_cannot_be_kept_for_an_in_memory_server() -> None:
    out = cli("clients", "create", "x", "--database-url", "memory://")
    assert out.returncode == 3  # invalid argument


def test_a_client_created_for_one_database_cannot_call_another(
    served_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    stranger_id, stranger_secret = create_client(other)
    with serve(served_database, log=tmp_path / "s.log") as s:
        r = httpx.post(
            f"{s.base_url}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": stranger_id,
                "client_secret": stranger_secret,
            },
        )
        assert r.status_code == 401


def test_two_workers_share_clients_signing_key_and_data(
    served_database: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    with serve(served_database, workers=2, log=tmp_path / "workers.log") as s:
        tokens = {s.token() for _ in range(4)}
        keys = httpx.get(f"{s.base_url}/keys").json()["keys"]
        assert len(keys) == 1  # one signing key for both workers
        for access in tokens:
            with httpx.Client(
                base_url=s.base_url, headers={"Authorization": f"Bearer {access}"}, timeout=30
            ) as api:
                created = api.post(ORGS, json={"display_name": "Acme"})
                assert created.status_code == 201, created.text
                org = created.json()["organization"]
                for _ in range(3):  # whichever worker answers, the write is there
                    assert api.get(f"{ORGS}/{org['id']}").json()["organization"] == org
                listed = api.get(ORGS, params={"page_size": 100}).json()["organizations"]
                assert org["id"] in [o["id"] for o in listed]
