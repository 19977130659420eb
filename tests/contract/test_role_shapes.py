"""The role routes' JSON shapes, checked against real responses on SQLite and PostgreSQL.

The schemas follow ``../shared/DOMAIN.md`` ("Role: name, display_name, description, extends,
permissions[]"; routes ``/api/v1/roles…``, ``/api/v1/organizations/{org}/roles…``,
``…/users/{user_id}/roles``, ``…/users/{user_id}/permissions``; DELETE answers 200 ``{}``;
memberships carry ``roles:[{id, name, display_name}]`` and ``permissions``).
"""

from __future__ import annotations

from typing import Any

from tests.contract.test_hosted_shapes import EMPTY, ERROR, api, check
from tests.integration.http_support import ORGS, Api

__all__ = ["api"]

ROLE = {
    "type": "object",
    "required": ["id", "name", "display_name", "description", "extends", "permissions"],
    "properties": {
        "id": {"type": "string", "pattern": "^role_"},
        "name": {"type": "string", "minLength": 1},
        "display_name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "extends": {"type": ["string", "null"]},
        "permissions": {"type": "array", "items": {"type": "string"}},
    },
}
ROLE_RESPONSE = {"type": "object", "required": ["role"], "properties": {"role": ROLE}}
ROLES = {
    "type": "object",
    "required": ["roles"],
    "properties": {"roles": {"type": "array", "items": ROLE}},
}
PERMISSIONS = {
    "type": "object",
    "required": ["permissions"],
    "properties": {"permissions": {"type": "array", "items": {"type": "string"}}},
}
HELD_ROLE = {
    "type": "object",
    "required": ["id", "name", "display_name"],
    "properties": {
        "id": {"type": "string", "pattern": "^role_"},
        "name": {"type": "string"},
        "display_name": {"type": "string"},
    },
}
MEMBERSHIP_ROLES = {
    "type": "object",
    "required": ["user"],
    "properties": {
        "user": {
            "type": "object",
            "required": ["memberships"],
            "properties": {
                "memberships": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["roles", "permissions"],
                        "properties": {
                            "roles": {"type": "array", "items": HELD_ROLE, "minItems": 1},
                            "permissions": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                }
            },
        }
    },
}


def ok(
    api: Api, method: str, path: str, schema: dict[str, Any], status: int = 200, **kw: Any
) -> Any:
    r = api.call(method, path, **kw)
    assert r.status_code == status, r.text
    check(schema, r.json())
    return r.json()


def test_environment_roles_are_created_read_listed_updated_and_deleted(api: Api) -> None:
    body = {"name": "shape-viewer", "display_name": "Viewer", "permissions": ["users:read"]}
    made = ok(api, "POST", "/api/v1/roles", ROLE_RESPONSE, 201, json=body)["role"]
    assert (made["name"], made["permissions"]) == ("shape-viewer", ["users:read"])
    ok(api, "GET", "/api/v1/roles/shape-viewer", ROLE_RESPONSE)
    names = [r["name"] for r in ok(api, "GET", "/api/v1/roles", ROLES)["roles"]]
    assert {"admin", "member", "shape-viewer"} <= set(names)
    patched = ok(
        api, "PATCH", "/api/v1/roles/shape-viewer", ROLE_RESPONSE, json={"extends": "member"}
    )
    assert patched["role"]["extends"] == "member"
    gone = ok(
        api,
        "DELETE",
        "/api/v1/roles/shape-viewer",
        EMPTY,
        params={"reassign_role_name": "member"},
    )
    assert gone == {}
    missing = ok(api, "GET", "/api/v1/roles/shape-viewer", ERROR, 404)
    assert missing["error_code"] == "role_not_found"


def test_organization_roles_and_a_members_roles_and_permissions(api: Api) -> None:
    org = api.create_org(display_name="Roles")["id"]
    ok(api, "POST", "/api/v1/roles", ROLE_RESPONSE, 201, json={"name": "shape-reader"})
    body = {"name": "billing", "extends": "shape-reader", "permissions": ["invoices:read"]}
    ok(api, "POST", f"{ORGS}/{org}/roles", ROLE_RESPONSE, 201, json=body)
    listed = ok(api, "GET", f"{ORGS}/{org}/roles", ROLES)["roles"]
    assert [r["name"] for r in listed] == ["billing"]
    created = ok(
        api,
        "POST",
        f"{ORGS}/{org}/users",
        MEMBERSHIP_ROLES,
        201,
        params={"send_invitation_email": "false"},
        json={"email": "ann@roles.example", "membership": {"roles": ["billing"]}},
    )
    membership = created["user"]["memberships"][0]
    assert [r["name"] for r in membership["roles"]] == ["billing"]
    assert membership["permissions"] == ["invoices:read"]
    user = created["user"]["id"]
    held = ok(api, "GET", f"{ORGS}/{org}/users/{user}/roles", ROLES)["roles"]
    assert [r["name"] for r in held] == ["billing"]
    perms = ok(api, "GET", f"{ORGS}/{org}/users/{user}/permissions", PERMISSIONS)
    assert perms == {"permissions": ["invoices:read"]}
    ok(
        api,
        "DELETE",
        f"{ORGS}/{org}/roles/billing",
        EMPTY,
        params={"reassign_role_name": "member"},
    )
    after = ok(api, "GET", f"{ORGS}/{org}/users/{user}/roles", ROLES)["roles"]
    assert [r["name"] for r in after] == ["member"]


def test_a_refused_role_answers_with_error_code_naming_the_field(api: Api) -> None:
    ok(api, "POST", "/api/v1/roles", ROLE_RESPONSE, 201, json={"name": "shape-a"})
    ok(
        api,
        "POST",
        "/api/v1/roles",
        ROLE_RESPONSE,
        201,
        json={"name": "shape-b", "extends": "shape-a"},
    )
    cycle = ok(api, "PATCH", "/api/v1/roles/shape-a", ERROR, 400, json={"extends": "shape-b"})
    assert (cycle["error_code"], cycle["details"]["field"]) == ("role_inheritance_cycle", "extends")
    unknown = ok(api, "POST", "/api/v1/roles", ERROR, 400, json={"name": "x1", "extends": "nope"})
    assert unknown["error_code"] == "unknown_parent_role"
    taken = ok(api, "POST", "/api/v1/roles", ERROR, 409, json={"name": "shape-a"})
    assert taken["error_code"] == "role_already_exists"
    default = ok(
        api,
        "DELETE",
        "/api/v1/roles/member",
        ERROR,
        422,
        params={"reassign_role_name": "admin"},
    )
    assert default["error_code"] == "default_role_in_use"


def test_default_roles_are_set_and_organization_roles_read_and_changed(api: Api) -> None:
    org = api.create_org(display_name="Defaults")["id"]
    ok(api, "POST", f"{ORGS}/{org}/roles", ROLE_RESPONSE, 201, json={"name": "crew"})
    got = ok(api, "GET", f"{ORGS}/{org}/roles/crew", ROLE_RESPONSE)["role"]
    assert got["display_name"] == "crew"
    patched = ok(
        api,
        "PATCH",
        f"{ORGS}/{org}/roles/crew",
        ROLE_RESPONSE,
        json={"display_name": "Crew", "permissions": ["decks:swab"]},
    )["role"]
    assert (patched["display_name"], patched["permissions"]) == ("Crew", ["decks:swab"])
    body = {"default_member_role": "crew"}
    chosen = ok(api, "PATCH", f"{ORGS}/{org}/roles:set_defaults", ROLE_RESPONSE, json=body)
    assert chosen["role"]["name"] == "crew"
    added = ok(
        api,
        "POST",
        f"{ORGS}/{org}/users",
        MEMBERSHIP_ROLES,
        201,
        params={"send_invitation_email": "false"},
        json={"email": "bo@defaults.example"},
    )
    assert [r["name"] for r in added["user"]["memberships"][0]["roles"]] == ["crew"]
    env = ok(
        api,
        "PATCH",
        "/api/v1/roles:set_defaults",
        ROLE_RESPONSE,
        json={"default_member_role": "member"},
    )
    assert env["role"]["name"] == "member"
