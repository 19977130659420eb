"""The SCIM endpoint reads what the big identity providers send, quirks included.

The protocol runs over scim2-server's in-memory storage here, so these tests pin what
:mod:`tenantry.adapters.scim.quirks` and the endpoint add to the library; the end-to-end tests
(tests/e2e/test_scim_*.py) run the same shapes against the application.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from scim2_models import PreconditionFailedException
from scim2_server.memory import InMemoryStorage
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse

from tenantry.adapters.scim import quirks
from tenantry.adapters.scim.endpoint import ScimEndpoint
from tenantry.domain.errors import Unauthenticated

TOKEN = "the-directory-token"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class _Refused(Unauthenticated):
    code = "test_token_invalid"


class _Directory:
    """Accepts one token for one directory, as ``authenticate_directory`` does."""

    def authenticate_directory(self, directory_id: str, token: str) -> str:
        if directory_id != "dir_1" or token != TOKEN:
            raise _Refused("invalid token")
        return directory_id


@pytest.fixture
def endpoint() -> ScimEndpoint:
    storage = InMemoryStorage()
    return ScimEndpoint(_Directory(), lambda _: storage)


def call(
    endpoint: ScimEndpoint,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = TOKEN,
    **query: str,
) -> ScimResponse:
    headers = {"Content-Type": "application/scim+json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = ScimRequest(
        method=method,
        base_url="https://tenantry.example/scim/v2/dir_1",
        path=path,
        query=query,
        headers=headers,
        body=b"" if body is None else json.dumps(body).encode(),
    )
    return endpoint.answer("dir_1", request)


def ok(response: ScimResponse, status: int = 200) -> dict[str, Any]:
    assert response.status == status, response.body
    assert response.body is not None
    return response.body


def user(endpoint: ScimEndpoint, user_name: str = "ada@acme.example") -> dict[str, Any]:
    created = call(
        endpoint,
        "POST",
        "/Users",
        {
            "schemas": [USER, ENTERPRISE],
            "userName": user_name,
            "active": True,
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"type": "work", "value": user_name, "primary": True}],
        },
    )
    return ok(created, 201)


def patch(endpoint: ScimEndpoint, path: str, *operations: dict[str, Any]) -> ScimResponse:
    return call(endpoint, "PATCH", path, {"schemas": [PATCH_OP], "Operations": list(operations)})


def test_a_patch_answers_200_with_the_resource(endpoint: ScimEndpoint) -> None:
    ada = user(endpoint)
    # Okta deactivates with a path-less replace
    # (https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20)
    patched = patch(endpoint, f"/Users/{ada['id']}", {"op": "replace", "value": {"active": False}})
    body = ok(patched)
    assert body["active"] is False
    assert body["userName"] == "ada@acme.example"
    assert patched.headers["ETag"] == body["meta"]["version"]


def test_entra_capitalised_ops_boolean_strings_and_dotted_keys_are_read(
    endpoint: ScimEndpoint,
) -> None:
    ada = user(endpoint)
    body = ok(
        patch(
            endpoint,
            f"/Users/{ada['id']}",
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "value": {"name.givenName": "Augusta", "name.familyName": "King"}},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ak@acme.example"},
        )
    )
    assert body["active"] is False
    assert body["name"] == {"givenName": "Augusta", "familyName": "King"}
    assert [e["value"] for e in body["emails"]] == ["ak@acme.example"]
    again = ok(
        patch(endpoint, f"/Users/{ada['id']}", {"op": "Replace", "value": {"active": "True"}})
    )
    assert again["active"] is True


def test_entra_group_schema_uri_is_dropped(endpoint: ScimEndpoint) -> None:
    entra_group = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
    created = call(
        endpoint,
        "POST",
        "/Groups",
        {"schemas": [GROUP, entra_group], "externalId": "8aa1a0c0", "displayName": "Sales"},
    )
    assert ok(created, 201)["schemas"] == [GROUP]


def test_entra_member_removal_by_value_list_removes_each_member(endpoint: ScimEndpoint) -> None:
    ada, bob, cy = (user(endpoint, f"{n}@acme.example")["id"] for n in ("ada", "bob", "cy"))
    group = ok(call(endpoint, "POST", "/Groups", {"schemas": [GROUP], "displayName": "Sales"}), 201)
    path = f"/Groups/{group['id']}"
    members = [{"$ref": None, "value": i} for i in (ada, bob, cy)]
    added = ok(patch(endpoint, path, {"op": "Add", "path": "members", "value": members}))
    assert [m["value"] for m in added["members"]] == [ada, bob, cy]
    removal = {"op": "Remove", "path": "members", "value": [{"value": ada}, {"value": cy}]}
    assert [m["value"] for m in ok(patch(endpoint, path, removal))["members"]] == [bob]


def test_entra_manager_as_a_bare_id_is_read_as_a_reference(endpoint: ScimEndpoint) -> None:
    ada = user(endpoint)
    manager = f"{ENTERPRISE}:manager"
    body = ok(patch(endpoint, f"/Users/{ada['id']}", {"op": "Add", "path": manager, "value": "m1"}))
    assert body[ENTERPRISE]["manager"]["value"] == "m1"


def test_a_missing_or_wrong_token_is_a_401_scim_error_with_a_bearer_challenge(
    endpoint: ScimEndpoint,
) -> None:
    for token in (None, "wrong", ""):
        refused = call(endpoint, "GET", "/Users", token=token)
        assert refused.status == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert refused.body is not None
        assert refused.body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert refused.body["status"] == "401"
        assert TOKEN not in json.dumps(refused.body)


def test_the_service_provider_config_is_read_without_a_token(endpoint: ScimEndpoint) -> None:
    config = ok(call(endpoint, "GET", "/ServiceProviderConfig", token=None))
    assert config["patch"] == {"supported": True}
    assert config["changePassword"] == {"supported": False}
    assert config["bulk"]["supported"] is True
    assert config["filter"]["supported"] is True
    assert config["etag"] == {"supported": True}
    types = ok(call(endpoint, "GET", "/ResourceTypes"))["Resources"]
    assert {t["id"]: t["endpoint"] for t in types} == {"User": "/Users", "Group": "/Groups"}
    user_type = next(t for t in types if t["id"] == "User")
    assert user_type["schemaExtensions"][0]["schema"] == ENTERPRISE


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'"text"', b"{" * 5000, b'{"Operations": "x"}', b"\xff\xfe"],
)
def test_bodies_that_are_not_patch_objects_pass_unchanged(body: bytes) -> None:
    assert quirks.normalized("PATCH", "/Users/u1", body) == body


class _RacedOnce(InMemoryStorage):
    """Another process writes the resource between the first read and write of a request."""

    def __init__(self) -> None:
        super().__init__()
        self.raced = 0

    def update(self, resource_type: Any, resource: Any, *, expected_version: Any = None) -> Any:
        if self.raced == 0:
            self.raced += 1
            raise PreconditionFailedException(detail="changed meanwhile")
        return super().update(resource_type, resource, expected_version=expected_version)


def test_a_patch_without_if_match_is_applied_again_after_a_lost_race() -> None:
    storage = _RacedOnce()
    endpoint = ScimEndpoint(_Directory(), lambda _: storage)
    ada = user(endpoint)
    off = {"op": "replace", "path": "active", "value": False}
    assert ok(patch(endpoint, f"/Users/{ada['id']}", off))["active"] is False
    assert storage.raced == 1


def test_a_patch_with_if_match_is_not_retried() -> None:
    storage = _RacedOnce()
    endpoint = ScimEndpoint(_Directory(), lambda _: storage)
    ada = user(endpoint)
    off = {"op": "replace", "path": "active", "value": False}
    request = ScimRequest(
        method="PATCH",
        base_url="https://tenantry.example/scim/v2/dir_1",
        path=f"/Users/{ada['id']}",
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "If-Match": ada["meta"]["version"],
            "Content-Type": "application/scim+json",
        },
        body=json.dumps({"schemas": [PATCH_OP], "Operations": [off]}).encode(),
    )
    assert endpoint.answer("dir_1", request).status == 412
