"""A directory of an organization on a running ``tenantry serve``, and a SCIM client that calls its
endpoint as an identity provider does (scim2-client over httpx2)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient

import tenantry
from tests.e2e.http_support import Server

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"


@dataclass
class Directory:
    """An enabled directory of a new organization (``dir_sync`` on) and its token."""

    server: Server
    organization_id: str
    directory_id: str
    token: str

    @property
    def base_url(self) -> str:
        return f"{self.server.base_url}/scim/v2/{self.directory_id}"

    def http(self, token: str | None = None) -> httpx.Client:
        """Raw HTTP to the endpoint, for the exact bodies an IdP sends."""
        return httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {token or self.token}",
                "Content-Type": SCIM_JSON,
            },
            timeout=60,
        )

    def scim(self) -> SyncSCIMClient:
        """scim2-client, after discovery (ServiceProviderConfig, ResourceTypes, Schemas)."""
        client = SyncSCIMClient(
            httpx2.Client(
                base_url=self.base_url,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=60,
            )
        )
        client.discover()
        return client

    def app(self) -> tenantry.Tenantry:
        """The application on the server's database, to check what the requests did."""
        return tenantry.connect(self.server.database_url)


def new_directory(server: Server, *, max_allowed_users: int | None = None) -> Directory:
    app = tenantry.connect(server.database_url)
    try:
        org = app.create_organization("Acme")
        app.update_organization_settings(org.id, {"dir_sync": True})
        if max_allowed_users is not None:
            app.upsert_user_management_settings(org.id, max_allowed_users)
        directory = app.create_directory(org.id, "OKTA", name="Okta")
        app.enable_directory(org.id, directory.id)
        _, token = app.create_directory_secret(org.id, directory.id)
        return Directory(server, org.id, directory.id, token)
    finally:
        app.close()


@pytest.fixture
def directory(server: Server) -> Iterator[Directory]:
    return new_directory(server)


def user_body(email: str, **extra: Any) -> dict[str, Any]:
    """A user as Okta creates one (userName is the e-mail)."""
    given, _, family = email.partition("@")[0].partition(".")
    return {
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": given.title(), "familyName": family.title() or "X"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "active": True,
        **extra,
    }


def scim_error(response: httpx.Response, status: int, scim_type: str | None = None) -> str:
    """Checks a SCIM error body of ``status`` (and ``scimType``); returns its detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM_JSON)
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    detail: str = body.get("detail", "")
    return detail
