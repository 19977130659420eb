"""Restore and sign-up over HTTP (tenantry's own routes, in the hosted style): their answers
checked against JSON schemas on SQLite and PostgreSQL, their refusals against the error shape."""

from __future__ import annotations

from typing import Any

from tests.contract.test_hosted_shapes import ERROR, MEMBERSHIP, ORGANIZATION, check
from tests.contract.test_hosted_shapes import api as api  # the same servers: SQLite, PostgreSQL
from tests.integration.http_support import ORGS, Api, assert_error

SIGN_UP = "/api/v1/signup"
SIGNED_UP = {
    "type": "object",
    "required": ["organization", "user"],
    "additionalProperties": False,
    "properties": {
        "organization": ORGANIZATION["properties"]["organization"],
        "user": {
            "type": "object",
            "required": ["id", "email", "memberships"],
            "properties": {
                "id": {"type": "string", "pattern": "^usr_"},
                "email": {"type": "string"},
                "memberships": {"type": "array", "items": MEMBERSHIP, "minItems": 1},
            },
        },
    },
}


def test_a_deleted_organization_is_restored_and_answered_as_an_organization(api: Api) -> None:
    org = api.create_org(display_name="Restored", external_id="restored-ext", slug="restored")
    assert api.call("DELETE", f"{ORGS}/{org['id']}").status_code == 200

    r = api.call("POST", f"{ORGS}/{org['id']}:restore")

    assert r.status_code == 200, r.text
    check(ORGANIZATION, r.json())
    assert r.json()["organization"]["external_id"] == "restored-ext"
    assert (
        api.call("GET", f"{ORGS}:external/restored-ext").json()["organization"]["id"] == org["id"]
    )


def test_a_restore_whose_slug_was_taken_is_409_naming_the_field_unless_released(
    api: Api,
) -> None:
    org = api.create_org(display_name="Taken", slug="taken-slug")
    api.call("DELETE", f"{ORGS}/{org['id']}")
    api.create_org(display_name="Taker", slug="taken-slug")

    refused = api.call("POST", f"{ORGS}/{org['id']}:restore", json={})
    released = api.call("POST", f"{ORGS}/{org['id']}:restore", json={"release_taken_keys": True})

    body = assert_error(refused, 409, "restore_key_taken")
    check(ERROR, body)
    assert (body["details"]["field"], body["details"]["key"]) == ("slug", "taken-slug")
    assert released.status_code == 200, released.text
    assert released.json()["organization"]["slug"] is None


def test_restoring_a_live_organization_is_refused(api: Api) -> None:
    org = api.create_org(display_name="Alive")
    r = api.call("POST", f"{ORGS}/{org['id']}:restore")
    assert_error(r, 422, "organization_not_deleted")
    bad = api.call("POST", f"{ORGS}/{org['id']}:restore", json={"release_taken_keys": "yes"})
    assert bad.status_code == 400, bad.text


def test_sign_up_creates_the_organization_and_its_first_admin(api: Api) -> None:
    body = {
        "organization": {"display_name": "Founded", "external_id": "founded", "region_code": "EU"},
        "user": {"email": "Founder@Founded.example"},
    }

    r = api.call("POST", SIGN_UP, json=body)

    assert r.status_code == 201, r.text
    check(SIGNED_UP, r.json())
    org, user = r.json()["organization"], r.json()["user"]
    assert (org["external_id"], org["region_code"], org["seats_in_use"]) == ("founded", "EU", 1)
    membership = user["memberships"][0]
    assert (membership["membership_status"], membership["provisioning_method"]) == (
        "ACTIVE",
        "org_creator",
    )
    assert [role["name"] for role in membership["roles"]] == ["admin"]
    users = api.call("GET", f"{ORGS}/{org['id']}/users").json()["users"]
    assert [u["email"] for u in users] == ["founder@founded.example"]


def test_a_refused_sign_up_creates_nothing_and_names_the_field_as_sent(api: Api) -> None:
    api.create_org(display_name="Holder", external_id="held-by-another")
    taken = {
        "organization": {"display_name": "Second", "external_id": "held-by-another"},
        "user": {"email": "second@x.example"},
    }
    bad_email = {"organization": {"display_name": "Third"}, "user": {"email": "not-an-email"}}
    bad_name = {"organization": {"display_name": " "}, "user": {"email": "third@x.example"}}

    assert_error(api.call("POST", SIGN_UP, json=taken), 409, "external_id_taken")
    for body, field in ((bad_email, "user.email"), (bad_name, "organization.display_name")):
        refused: dict[str, Any] = assert_error(
            api.call("POST", SIGN_UP, json=body), 400, "invalid_field"
        )
        assert refused["details"]["field"] == field
    found = api.call("GET", f"{ORGS}:search", params={"query": "Second"}).json()
    assert found["total_size"] == 0
