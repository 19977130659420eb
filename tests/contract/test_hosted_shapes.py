"""The hosted API's JSON shapes, checked against real responses on SQLite and PostgreSQL.

Each schema is written from ``../shared/DOMAIN.md`` (section "Users, roles, invites (hosted
shapes)") and the hosted API's guide, not from tenantry's own models, so a response that drifts
from the hosted names fails here. Tenantry may add fields (``additionalProperties`` is open where
the hosted API documents no closed shape); the hosted names must be there with their types.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from tenantry.adapters.http import create_app
from tests.integration.http_support import ORGS, Api, authorized
from tests.support import database

TIME = {"type": "string", "format": "date-time"}
ERROR = {
    "type": "object",
    "required": ["error_code", "code", "message", "details"],
    "properties": {
        "error_code": {"type": "string", "minLength": 1},
        "code": {"type": "string", "minLength": 1},
        "message": {"type": "string"},
        "details": {"type": "object"},
    },
}
EMPTY = {"type": "object", "maxProperties": 0}


def check(schema: dict[str, Any], body: Any) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in Draft202012Validator(schema).iter_errors(body)
    ]
    assert not errors, errors


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp: Path = tmp_path_factory.mktemp("hosted")
    with database(request.param, tmp) as url:
        app = create_app(url)
        with TestClient(app) as client:
            yield authorized(app, client)


def test_an_error_carries_error_code_beside_code_message_and_details(api: Api) -> None:
    r = api.call("GET", f"{ORGS}:external/no-such-organization")
    assert r.status_code == 404
    check(ERROR, r.json())
    assert r.json()["error_code"] == r.json()["code"]


def test_a_refused_body_carries_error_code_naming_the_rule(api: Api) -> None:
    r = api.call("POST", ORGS, json={"display_name": ""})
    assert r.status_code == 400
    check(ERROR, r.json())
    assert r.json()["error_code"] == "invalid_field"
    assert r.json()["details"]["field"] == "display_name"


def _member(api: Api, org_id: str, email: str, *, invite: bool = False) -> str:
    r = api.call(
        "POST",
        f"{ORGS}/{org_id}/users",
        params={"send_invitation_email": "true" if invite else "false"},
        json={"email": email},
    )
    assert r.status_code == 201, r.text
    user_id: str = r.json()["user"]["id"]
    return user_id


def test_deletes_answer_200_with_an_empty_object(api: Api) -> None:
    org = api.create_org(display_name="Deleted")
    user_id = _member(api, org["id"], "gone@deleted.example")

    removed = api.call("DELETE", f"/api/v1/memberships/organizations/{org['id']}/users/{user_id}")
    deleted = api.call("DELETE", f"{ORGS}/{org['id']}")

    for r in (removed, deleted):
        assert r.status_code == 200, r.text
        check(EMPTY, r.json())


UNIT = {"enum": ["MINUTES", "HOURS", "DAYS", None]}
POLICY = {
    "type": "object",
    "required": ["policy"],
    "additionalProperties": False,
    "properties": {
        "policy": {
            "type": "object",
            "required": [
                "policy_source",
                "absolute_session_timeout",
                "absolute_session_timeout_unit",
                "idle_session_timeout_enabled",
                "idle_session_timeout",
                "idle_session_timeout_unit",
            ],
            "properties": {
                "policy_source": {"enum": ["APPLICATION", "CUSTOM"]},
                "absolute_session_timeout": {"type": ["integer", "null"]},
                "absolute_session_timeout_unit": UNIT,
                "idle_session_timeout_enabled": {"type": "boolean"},
                "idle_session_timeout": {"type": ["integer", "null"]},
                "idle_session_timeout_unit": UNIT,
            },
        }
    },
}


def test_the_session_policy_is_answered_wrapped_in_policy(api: Api) -> None:
    org = api.create_org(display_name="Policy")
    path = f"{ORGS}/{org['id']}/session-policy"
    policy = {"policy_source": "CUSTOM", "absolute_session_timeout": 8}
    hosted = {"policy": {**policy, "absolute_session_timeout_unit": "HOURS"}}

    updated = api.call("PATCH", path, json=hosted)
    read = api.call("GET", path)

    for r in (updated, read):
        assert r.status_code == 200, r.text
        check(POLICY, r.json())
    assert read.json()["policy"]["absolute_session_timeout"] == 8


INVITE = {
    "type": "object",
    "required": ["invite"],
    "additionalProperties": False,
    "properties": {
        "invite": {
            "type": "object",
            "required": [
                "organization_id",
                "user_id",
                "inviter_email",
                "status",
                "created_at",
                "expires_at",
                "resent_at",
                "resent_count",
            ],
            "properties": {
                "organization_id": {"type": "string", "pattern": "^org_"},
                "user_id": {"type": "string", "pattern": "^usr_"},
                "inviter_email": {"type": ["string", "null"]},
                "status": {"enum": ["pending", "accepted", "expired", "revoked"]},
                "created_at": TIME,
                "expires_at": TIME,
                "resent_at": {"type": ["string", "null"], "format": "date-time"},
                "resent_count": {"type": "integer", "minimum": 0},
            },
        }
    },
}


def test_a_resent_invitation_is_answered_as_an_invite(api: Api) -> None:
    org = api.create_org(display_name="Invites")
    user_id = _member(api, org["id"], "ada@invites.example", invite=True)

    r = api.call("PATCH", f"/api/v1/invites/organizations/{org['id']}/users/{user_id}/resend")

    assert r.status_code == 200, r.text
    check(INVITE, r.json())
    assert (r.json()["invite"]["organization_id"], r.json()["invite"]["resent_count"]) == (
        org["id"],
        1,
    )


ORGANIZATION = {
    "type": "object",
    "required": ["organization"],
    "properties": {
        "organization": {
            "type": "object",
            "required": ["id", "display_name", "external_id", "metadata", "create_time"],
            "properties": {
                "id": {"type": "string", "pattern": "^org_"},
                "display_name": {"type": "string"},
                "external_id": {"type": ["string", "null"]},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                "create_time": TIME,
            },
        }
    },
}


def test_an_organization_is_updated_by_its_external_id(api: Api) -> None:
    org = api.create_org(display_name="External", external_id="hosted-external")

    r = api.call("PATCH", f"{ORGS}:external/hosted-external", json={"display_name": "Renamed"})

    assert r.status_code == 200, r.text
    check(ORGANIZATION, r.json())
    assert (r.json()["organization"]["id"], r.json()["organization"]["display_name"]) == (
        org["id"],
        "Renamed",
    )


MEMBERSHIP = {
    "type": "object",
    "required": [
        "organization_id",
        "membership_status",
        "roles",
        "permissions",
        "display_name",
        "name",
        "inviter_email",
        "metadata",
        "provisioning_method",
        "created_at",
        "join_time",
        "accepted_at",
        "expires_at",
    ],
    "not": {"required": ["status"]},
    "properties": {
        "organization_id": {"type": "string", "pattern": "^org_"},
        "membership_status": {
            "enum": ["ACTIVE", "INACTIVE", "PENDING_INVITE", "INVITE_EXPIRED", "REMOVED"]
        },
        "roles": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "display_name"],
                "properties": {
                    "id": {"type": "string", "pattern": "^role_"},
                    "name": {"type": "string"},
                    "display_name": {"type": "string"},
                },
            },
        },
        "permissions": {"type": "array", "items": {"type": "string"}},
        "display_name": {"type": "string"},
        "name": {"type": "string"},
        "inviter_email": {"type": ["string", "null"]},
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        "created_at": TIME,
    },
}
USER = {
    "type": "object",
    "required": ["id", "email", "memberships"],
    "properties": {
        "id": {"type": "string", "pattern": "^usr_"},
        "email": {"type": "string"},
        "memberships": {"type": "array", "items": MEMBERSHIP, "minItems": 1},
    },
}
USER_RESPONSE = {"type": "object", "required": ["user"], "properties": {"user": USER}}
USERS = {
    "type": "object",
    "required": ["users", "next_page_token", "prev_page_token", "total_size"],
    "not": {"required": ["members"]},
    "properties": {
        "users": {"type": "array", "items": USER},
        "next_page_token": {"type": "string"},
        "prev_page_token": {"type": "string"},
        "total_size": {"type": "integer", "minimum": 0},
    },
}


def test_a_membership_has_the_hosted_fields(api: Api) -> None:
    org = api.create_org(display_name="Hosted Members")
    created = api.call(
        "POST",
        f"{ORGS}/{org['id']}/users",
        json={"email": "ada@members.example", "membership": {"roles": ["admin"]}},
    )
    path = f"/api/v1/memberships/organizations/{org['id']}/users/{created.json()['user']['id']}"
    read = api.call("GET", path)
    changed = api.call("PATCH", path, json={"membership_status": "ACTIVE"})

    for r in (created, read, changed):
        assert r.status_code in (200, 201), r.text
        check(USER_RESPONSE, r.json())
    membership = changed.json()["user"]["memberships"][0]
    assert membership["membership_status"] == "ACTIVE"
    assert [(r["name"], r["display_name"]) for r in membership["roles"]] == [("admin", "Admin")]
    assert (membership["display_name"], membership["name"]) == ("Hosted Members", "Hosted Members")


def test_an_organizations_users_are_listed_as_users_with_their_memberships(api: Api) -> None:
    org = api.create_org(display_name="Listed")
    user_id = _member(api, org["id"], "ada@listed.example")

    r = api.call("GET", f"{ORGS}/{org['id']}/users")

    assert r.status_code == 200, r.text
    check(USERS, r.json())
    (user,) = r.json()["users"]
    assert (user["id"], user["memberships"][0]["organization_id"]) == (user_id, org["id"])
