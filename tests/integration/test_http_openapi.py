"""What the OpenAPI document promises and the API keeps: errors name the field as the request
carries it, whatever the wrong value, and whichever check refused it (the schema or the domain)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.integration.http_support import ORGS, Api, assert_error, authorized, in_process


def policy_with(**change: Any) -> dict[str, Any]:
    """A valid session policy, changed."""
    return {
        "policy_source": "CUSTOM",
        "absolute_session_timeout": 7,
        "absolute_session_timeout_unit": "DAYS",
        "idle_session_timeout_enabled": True,
        "idle_session_timeout": 30,
        "idle_session_timeout_unit": "MINUTES",
        **change,
    }


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FastAPI, TestClient]]:
    with in_process() as app_and_client:
        yield app_and_client


@pytest.fixture(scope="module")
def api(server: tuple[FastAPI, TestClient]) -> Api:
    return authorized(*server)


@pytest.fixture(scope="module")
def member(api: Api) -> tuple[str, str]:
    """``(organization id, user id)`` of an active member."""
    org = api.create_org(display_name="Fields")
    r = api.call(
        "POST",
        f"{ORGS}/{org['id']}/users",
        params={"send_invitation_email": "false"},
        json={"email": "ada@fields.example"},
    )
    assert r.status_code == 201, r.text
    return org["id"], r.json()["user"]["id"]


# (method, path under the organization or the membership, query, body, the field named)
WRONG_FIELDS: list[tuple[str, str, dict[str, str], Any, str]] = [
    *[
        ("PATCH", "{org}/settings/usermanagement", {}, {"settings": {"max_allowed_users": v}}, f)
        for v, f in [
            ("5", "settings.max_allowed_users"),
            (-1, "settings.max_allowed_users"),
            (10**8, "settings.max_allowed_users"),
            (True, "settings.max_allowed_users"),
        ]
    ],
    *[
        ("PATCH", "{org}/session-policy", {}, policy, "idle_session_timeout")
        for policy in [
            policy_with(idle_session_timeout="5"),
            policy_with(idle_session_timeout=0),
            policy_with(idle_session_timeout=8, idle_session_timeout_unit="DAYS"),  # > absolute
        ]
    ],
    *[
        ("PATCH", "{org}/session-policy", {}, policy, "absolute_session_timeout")
        for policy in [
            policy_with(absolute_session_timeout="7"),
            policy_with(absolute_session_timeout=400),  # days: over a year
        ]
    ],
    *[
        ("PATCH", "{org}/sign-in-methods", {}, {"allowed_sign_in_methods": v}, f)
        for v, f in [
            (["pigeon"], "allowed_sign_in_methods"),
            ([5], "allowed_sign_in_methods"),
            ([], "allowed_sign_in_methods"),
        ]
    ],
    *[
        ("PATCH", "{org}/settings", {}, {"features": [{"name": v, "enabled": True}]}, f)
        for v, f in [(5, "features.name"), ("teleport", "features.name")]
    ],
    *[
        ("POST", "{org}/users", {}, {"email": "bo@fields.example", "membership": v}, f)
        for v, f in [
            ({"roles": "admin"}, "membership.roles"),
            ({"roles": ["Admin!"]}, "membership.roles"),
            ({"roles": []}, "membership.roles"),
            ({"metadata": {"k": "v"}}, "membership.metadata.k"),
            ({"metadata": {"key": ""}}, "membership.metadata.key"),
            ({"inviter_email": "nobody"}, "membership.inviter_email"),
        ]
    ],
    (
        "POST",
        "{org}/users",
        {"send_invitation_email": "false"},  # an inviter only goes with an invitation
        {"email": "bo@fields.example", "membership": {"inviter_email": "ada@fields.example"}},
        "membership.inviter_email",
    ),
    *[
        ("PATCH", "{membership}", {}, v, f)
        for v, f in [
            ({"metadata": {"k": "v"}}, "metadata.k"),
            ({"metadata": {"key": ""}}, "metadata.key"),
            ({"metadata": {"key": 5}}, "metadata.key"),
            ({"roles": ["admin"], "metadata": {"x": "too short a key"}}, "metadata.x"),
            ({"roles": ["Admin!"]}, "roles"),
        ]
    ],
]


@pytest.mark.parametrize(("method", "path", "params", "body", "field"), WRONG_FIELDS)
def test_a_wrong_field_is_named_as_the_request_carries_it_whatever_the_wrong_value(
    api: Api,
    member: tuple[str, str],
    method: str,
    path: str,
    params: dict[str, str],
    body: Any,
    field: str,
) -> None:
    org_id, user_id = member
    url = path.format(
        org=f"{ORGS}/{org_id}",
        membership=f"/api/v1/memberships/organizations/{org_id}/users/{user_id}",
    )
    r = api.call(method, url, params=params, json=body)
    assert r.status_code == 400, r.text
    err = r.json()
    assert err["code"] in {"invalid_field", "unknown_feature"}
    assert err["details"]["field"] == field
    assert err["message"].startswith(f"{field}:")


def test_a_renamed_error_keeps_its_code_and_typed_fields(api: Api, member: tuple[str, str]) -> None:
    org_id, _ = member
    bad = {"features": [{"name": "teleport", "enabled": True}]}
    err = assert_error(
        api.call("PATCH", f"{ORGS}/{org_id}/settings", json=bad), 400, "unknown_feature"
    )
    assert err["details"]["name"] == "teleport"
    assert err["details"]["field"] == "features.name"
