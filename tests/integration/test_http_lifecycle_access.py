"""The scopes of the lifecycle routes: restoring an organization needs ``organizations:admin``
(it undoes an admin's delete); sign-up needs ``organizations:write`` and is refused to a client
restricted to some organizations (it creates one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tenantry.adapters.http.access import scope_of
from tests.integration.http_support import ORGS, Api, assert_error, in_process
from tests.integration.test_http_access import scoped

SIGN_UP = "/api/v1/signup"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FastAPI, TestClient]]:
    with in_process() as app_and_client:
        yield app_and_client


@pytest.fixture(scope="module")
def admin(served: tuple[FastAPI, TestClient]) -> Api:
    return scoped(*served, None)


def test_the_lifecycle_routes_are_in_the_openapi_document(
    served: tuple[FastAPI, TestClient],
) -> None:
    paths = served[1].get("/openapi.json").json()["paths"]
    restore = paths["/api/v1/organizations/{organization_id}:restore"]["post"]
    sign_up = paths[SIGN_UP]["post"]
    assert "restore_key_taken" in restore["description"]
    assert set(sign_up["responses"]) >= {"201", "400", "409"}


def test_the_lifecycle_routes_scopes() -> None:
    assert scope_of("POST", "/api/v1/organizations/{organization_id}:restore") == (
        "organizations:admin"
    )
    assert scope_of("POST", SIGN_UP) == "organizations:write"


def test_restoring_needs_the_admin_scope(served: tuple[FastAPI, TestClient], admin: Api) -> None:
    org = admin.create_org(display_name="Undeleted")
    admin.call("DELETE", f"{ORGS}/{org['id']}")
    writer = scoped(*served, ["organizations:write", "members:write"])

    r = writer.call("POST", f"{ORGS}/{org['id']}:restore")

    assert assert_error(r, 403, "permission_denied")["details"] == {"scope": "organizations:admin"}
    restored = scoped(*served, ["organizations:admin"]).call("POST", f"{ORGS}/{org['id']}:restore")
    assert restored.status_code == 200, restored.text


def test_sign_up_needs_write_and_an_unrestricted_client(
    served: tuple[FastAPI, TestClient], admin: Api
) -> None:
    mine = admin.create_org(display_name="Restricted Founder")
    body: dict[str, Any] = {
        "organization": {"display_name": "Signed"},
        "user": {"email": "ada@signed.example"},
    }
    reader = scoped(*served, ["organizations:read"])
    restricted = scoped(*served, ["organizations:write"], organizations=[mine["id"]])
    writer = scoped(*served, ["organizations:write"])

    r = reader.call("POST", SIGN_UP, json=body)
    assert assert_error(r, 403, "permission_denied")["details"] == {"scope": "organizations:write"}
    assert_error(restricted.call("POST", SIGN_UP, json=body), 403, "permission_denied")
    assert writer.call("POST", SIGN_UP, json=body).status_code == 201
