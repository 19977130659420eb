"""The users routes in the hosted API's shape, on SQLite and PostgreSQL: a JSON schema per
response, written from ``../shared/DOMAIN.md`` ("Users, roles, invites (hosted shapes)")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tests.contract.test_hosted_shapes import EMPTY, ERROR, MEMBERSHIP, TIME, USER_RESPONSE, check
from tests.integration.http_support import ORGS, Api, authorized
from tests.support import database

USERS_API = "/api/v1/users"
NULLABLE_TEXT = {"type": ["string", "null"]}
PROFILE_FIELDS = ["given_name", "family_name", "name", "locale", "phone_number", "picture"]
HOSTED_USER = {
    "type": "object",
    "required": [
        "id",
        "email",
        "external_id",
        "metadata",
        "user_profile",
        "create_time",
        "update_time",
        "last_login_time",
        "memberships",
    ],
    "properties": {
        "id": {"type": "string", "pattern": "^usr_"},
        "email": {"type": "string"},
        "external_id": NULLABLE_TEXT,
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        "user_profile": {
            "type": "object",
            "required": PROFILE_FIELDS,
            "additionalProperties": False,
            "properties": dict.fromkeys(PROFILE_FIELDS, NULLABLE_TEXT),
        },
        "create_time": TIME,
        "update_time": TIME,
        "last_login_time": {"anyOf": [TIME, {"type": "null"}]},
        "memberships": {"type": "array", "items": MEMBERSHIP},
    },
}
HOSTED_USER_RESPONSE = {
    "type": "object",
    "required": ["user"],
    "additionalProperties": False,
    "properties": {"user": HOSTED_USER},
}
HOSTED_USERS = {
    "type": "object",
    "required": ["users", "next_page_token", "prev_page_token", "total_size"],
    "additionalProperties": False,
    "properties": {
        "users": {"type": "array", "items": HOSTED_USER},
        "next_page_token": {"type": "string"},
        "prev_page_token": {"type": "string"},
        "total_size": {"type": "integer", "minimum": 0},
    },
}
HISTORY = {
    "type": "object",
    "required": ["entries"],
    "properties": {
        "entries": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["aggregate", "organization_id", "event", "timestamp", "actor", "data"],
                "properties": {
                    "aggregate": {"enum": ["User", "Membership"]},
                    "organization_id": {"type": ["string", "null"], "pattern": "^org_"},
                    "event": {"type": "string"},
                    "timestamp": TIME,
                    "actor": {"type": "string"},
                    "data": {"type": "object"},
                },
            },
        }
    },
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp: Path = tmp_path_factory.mktemp("users")
    with database(request.param, tmp) as url:
        app = create_app(url)
        with TestClient(app) as client:
            yield authorized(app, client)


def _create(api: Api, org_id: str, body: dict[str, Any], invite: bool = True) -> Any:
    return api.call(
        "POST",
        f"{ORGS}/{org_id}/users",
        params={"send_invitation_email": "true" if invite else "false"},
        json=body,
    )


def test_the_hosted_create_user_body_creates_the_user_and_their_membership(api: Api) -> None:
    org = api.create_org(display_name="Create User")
    r = _create(
        api,
        org["id"],
        {
            "email": "ada@create.example",
            "external_id": "create-ada",
            "metadata": {"plan": "gold"},
            "user_profile": {"given_name": "Ada", "locale": "en-GB"},
            "membership": {
                "roles": [{"name": "admin"}],
                "metadata": {"desk": "4b"},
                "inviter_email": "boss@create.example",
            },
        },
    )

    assert r.status_code == 201, r.text
    check(HOSTED_USER_RESPONSE, r.json())
    check(USER_RESPONSE, r.json())
    user = r.json()["user"]
    assert (user["external_id"], user["user_profile"]["given_name"]) == ("create-ada", "Ada")
    (membership,) = user["memberships"]
    (role,) = membership["roles"]
    assert (role["name"], role["display_name"]) == ("admin", "Admin")  # the built-in role
    assert role["id"].startswith("role_")
    assert membership["membership_status"] == "PENDING_INVITE"


def test_a_user_is_read_updated_searched_and_deleted(api: Api) -> None:
    org = api.create_org(display_name="Lifecycle")
    user_id = _create(api, org["id"], {"email": "bob@lifecycle.example"}, invite=False).json()[
        "user"
    ]["id"]
    path = f"{USERS_API}/{user_id}"

    patched = api.call(
        "PATCH",
        path,
        json={"external_id": "life-bob", "user_profile": {"name": "Bob"}},
        headers={"X-Tenantry-On-Behalf-Of": "ops@lifecycle.example"},
    )
    read = api.call("GET", path)
    by_external_id = api.call("GET", f"{USERS_API}:external/life-bob")
    for r in (patched, read, by_external_id):
        assert r.status_code == 200, r.text
        check(HOSTED_USER_RESPONSE, r.json())
    assert by_external_id.json() == read.json()
    assert read.json()["user"]["memberships"][0]["organization_id"] == org["id"]

    listed = api.call("GET", USERS_API, params={"external_id": "life-bob"})
    searched = api.call("GET", f"{USERS_API}:search", params={"query": "LIFE-B"})
    in_org = api.call("GET", f"{ORGS}/{org['id']}/users:search", params={"query": "bob@"})
    for r in (listed, searched, in_org):
        assert r.status_code == 200, r.text
        check(HOSTED_USERS, r.json())
        assert [u["id"] for u in r.json()["users"]] == [user_id]

    deleted = api.call("DELETE", path)
    assert deleted.status_code == 200, deleted.text
    check(EMPTY, deleted.json())
    gone = api.call("GET", path)
    assert gone.status_code == 404
    check(ERROR, gone.json())
    assert gone.json()["error_code"] == "user_not_found"
    usage = api.call("GET", f"{ORGS}/{org['id']}").json()["organization"]["seats_in_use"]
    assert usage == 0

    history = api.call("GET", f"{path}/history")
    assert history.status_code == 200, history.text
    check(HISTORY, history.json())
    events = [(e["aggregate"], e["event"]) for e in history.json()["entries"]]
    assert events[-2:] == [("Membership", "Removed"), ("User", "Deleted")]
    renamed = [e for e in history.json()["entries"] if e["event"] == "ExternalIdChanged"]
    assert renamed[0]["on_behalf_of"] == "ops@lifecycle.example"


def test_a_membership_is_created_changed_and_removed_by_the_users_external_id(
    api: Api,
) -> None:
    first, second = api.create_org(display_name="First"), api.create_org(display_name="Second")
    made = _create(api, first["id"], {"email": "cy@ext.example", "external_id": "ext-cy"})
    assert made.status_code == 201, made.text
    path = f"/api/v1/memberships/organizations/{second['id']}/users:external/ext-cy"

    created = api.call("POST", path, params={"send_invitation_email": "false"})
    changed = api.call("PATCH", path, json={"roles": ["admin"]})
    for r in (created, changed):
        assert r.status_code in (200, 201), r.text
        check(USER_RESPONSE, r.json())
    assert changed.json()["user"]["memberships"][0]["roles"][0]["name"] == "admin"
    removed = api.call("DELETE", path)
    assert removed.status_code == 200, removed.text
    check(EMPTY, removed.json())

    unknown = api.call("DELETE", path.replace("ext-cy", "ext-nobody"))
    assert unknown.status_code == 404
    check(ERROR, unknown.json())


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PATCH", "{user}", {"user_profile": {"phone_number": "12"}}, "user_profile.phone_number"),
        ("PATCH", "{user}", {"user_profile": {"nickname": "x"}}, "user_profile.nickname"),
        ("GET", "/api/v1/users:search?query=ab", None, "query"),
    ],
)
def test_a_bad_users_request_is_refused_naming_the_field(
    api: Api, method: str, path: str, body: Any, field: str
) -> None:
    org = api.create_org(display_name="Refusals")
    user_id = _create(api, org["id"], {"email": "dee@refusals.example"}).json()["user"]["id"]
    r = api.call(method, path.format(user=f"{USERS_API}/{user_id}"), json=body)
    assert r.status_code == 400, r.text
    check(ERROR, r.json())
    assert r.json()["details"]["field"] == field


def test_member_lists_and_users_show_role_definitions_and_permissions(api: Api) -> None:
    """Read from the read models, a membership still carries its roles' ids, display names and
    its effective permissions (as a single membership read does)."""
    org = api.create_org(display_name="Role Details")
    created = api.call(
        "POST",
        f"{ORGS}/{org['id']}/roles",
        json={"name": "auditor", "display_name": "Auditor", "permissions": ["audit:read"]},
    )
    assert created.status_code in (200, 201), created.text
    made = _create(
        api,
        org["id"],
        {"email": "ida@details.example", "membership": {"roles": [{"name": "auditor"}]}},
    )
    user_id = made.json()["user"]["id"]
    listed = api.call("GET", f"{ORGS}/{org['id']}/users").json()["users"]
    (member,) = [u for u in listed if u["id"] == user_id]
    from_user = api.call("GET", f"{USERS_API}/{user_id}").json()["user"]
    for membership in (member["memberships"][0], from_user["memberships"][0]):
        (role,) = membership["roles"]
        assert (role["name"], role["display_name"]) == ("auditor", "Auditor")
        assert role["id"].startswith("role_")
        assert membership["permissions"] == ["audit:read"]
