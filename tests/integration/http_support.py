"""The REST API in process for the integration tests: an app over memory://, a test client with a
bearer token, and the error-shape check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app

ORGS = "/api/v1/organizations"


class Api:
    """A test client with a bearer token."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def create_org(self, **body: Any) -> dict[str, Any]:
        r = self.call("POST", ORGS, json={"display_name": "Acme", **body})
        assert r.status_code == 201, r.text
        org: dict[str, Any] = r.json()["organization"]
        return org


def token(client: TestClient, client_id: str, secret: str) -> Any:
    return client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


@contextmanager
def in_process() -> Iterator[tuple[FastAPI, TestClient]]:
    app = create_app("memory://")
    with TestClient(app) as client:
        yield app, client


def authorized(app: FastAPI, client: TestClient) -> Api:
    """``client`` with the bearer token of a new API client."""
    new = app.state.clients.create_client("tests")
    r = token(client, new.client_id, new.client_secret)
    return Api(client, {"Authorization": f"Bearer {r.json()['access_token']}"})


def active_member(api: Api) -> tuple[str, str]:
    """``(organization id, user id)`` of an active member of a new organization."""
    org = api.create_org(display_name="Members")
    r = api.call(
        "POST",
        f"{ORGS}/{org['id']}/users",
        params={"send_invitation_email": "false"},
        json={"email": "ada@members.example"},
    )
    assert r.status_code == 201, r.text
    return org["id"], r.json()["user"]["id"]


@pytest.fixture(scope="module", name="server")
def module_server() -> Iterator[tuple[FastAPI, TestClient]]:
    """One app for a whole test module (``server``), for tests that do not disturb each other."""
    with in_process() as app_and_client:
        yield app_and_client


@pytest.fixture(scope="module", name="api")
def module_api(server: tuple[FastAPI, TestClient]) -> Api:
    return authorized(*server)


@pytest.fixture(scope="module", name="member")
def module_member(api: Api) -> tuple[str, str]:
    return active_member(api)


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"error_code", "code", "message", "details"}
    assert body["error_code"] == body["code"] == code
    return body


def host_auth(x_api_key: str = Header(default="")) -> str:
    """A host application's own authentication, for mounting the router behind it."""
    if x_api_key != "let-me-in":
        raise HTTPException(status_code=403, detail="forbidden")
    return "host-user"
