"""The effective policies over HTTP: the session policy answered as ``{"policy": {…}}`` with its
``effective`` policy, and the sign-in methods with their ``effective_sign_in_methods`` (the
server's application policy is the default one: 30 days, every method)."""

from __future__ import annotations

from typing import Any

from tests.contract.test_hosted_shapes import POLICY, check
from tests.contract.test_hosted_shapes import api as api  # the same servers: SQLite, PostgreSQL
from tests.integration.http_support import ORGS, Api

EFFECTIVE_POLICY: dict[str, Any] = {
    **POLICY,
    "properties": {
        "policy": {
            **POLICY["properties"]["policy"],
            "required": [*POLICY["properties"]["policy"]["required"], "effective"],
            "properties": {
                **POLICY["properties"]["policy"]["properties"],
                "effective": {
                    **{k: v for k, v in POLICY["properties"]["policy"].items() if k != "type"},
                    "type": "object",
                    "properties": {
                        **POLICY["properties"]["policy"]["properties"],
                        "policy_source": {"const": "CUSTOM"},
                    },
                },
            },
        }
    },
}
SIGN_IN_METHODS = {
    "type": "object",
    "required": ["organization_id", "allowed_sign_in_methods", "effective_sign_in_methods"],
    "properties": {
        "organization_id": {"type": "string", "pattern": "^org_"},
        "allowed_sign_in_methods": {"type": ["array", "null"], "items": {"type": "string"}},
        "effective_sign_in_methods": {"type": "array", "items": {"type": "string"}},
    },
}


def test_the_session_policy_answers_the_effective_policy_beside_its_own(api: Api) -> None:
    org = api.create_org(display_name="Effective")
    path = f"{ORGS}/{org['id']}/session-policy"

    inherited = api.call("GET", path)
    hours = {"absolute_session_timeout": 8, "absolute_session_timeout_unit": "HOURS"}
    updated = api.call("PATCH", path, json={"policy": {"policy_source": "CUSTOM", **hours}})

    for r in (inherited, updated):
        assert r.status_code == 200, r.text
        check(EFFECTIVE_POLICY, r.json())
    effective = inherited.json()["policy"]["effective"]
    assert (effective["absolute_session_timeout"], effective["absolute_session_timeout_unit"]) == (
        30,
        "DAYS",
    )
    effective = updated.json()["policy"]["effective"]
    assert (effective["absolute_session_timeout"], effective["absolute_session_timeout_unit"]) == (
        8,
        "HOURS",
    )


def test_the_sign_in_methods_answer_the_effective_set(api: Api) -> None:
    org = api.create_org(display_name="Methods")
    path = f"{ORGS}/{org['id']}/sign-in-methods"

    inherited = api.call("GET", path)
    narrowed = api.call("PATCH", path, json={"allowed_sign_in_methods": ["sso"]})

    for r in (inherited, narrowed):
        assert r.status_code == 200, r.text
        check(SIGN_IN_METHODS, r.json())
    assert "password" in inherited.json()["effective_sign_in_methods"]
    assert narrowed.json()["effective_sign_in_methods"] == ["sso"]
