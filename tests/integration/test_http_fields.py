"""Request fields over HTTP: every body and query field carries its limits in the OpenAPI schema,
taken from the domain, and an error names the field as the request carries it, whatever the wrong
value and whichever check refused it (the schema or the domain)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tenantry.adapters.http import schemas
from tenantry.domain import values
from tenantry.domain.errors import InvalidField
from tenantry.projections.queries import (
    MEMBER_PAGE_SIZE,
    ORG_PAGE_SIZE,
    QUERY_LENGTH,
    SEARCH_PAGE_SIZE,
)
from tests.integration.http_support import (  # noqa: F401 - the module_* are pytest fixtures
    ORGS,
    Api,
    assert_error,
    module_api,
    module_member,
    module_server,
)


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


# --- limits in the schema --------------------------------------------------------------------


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema


def _variants(spec: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of ``schema``."""
    schema = _resolve(spec, schema)
    options = schema.get("anyOf", [schema])
    return [_resolve(spec, s) for s in options if s.get("type") != "null"]


def _unlimited(spec: dict[str, Any], schema: dict[str, Any], where: str) -> Iterator[str]:
    """Where a request field takes any length, size or number."""
    for s in _variants(spec, schema):
        kind = s.get("type")
        if "enum" in s or "const" in s or kind in ("boolean", None):
            continue
        needs = {"string": {"maxLength"}, "integer": {"minimum", "maximum"}}.get(kind, set())
        if not needs <= set(s):
            yield where
        if kind == "array":
            if "maxItems" not in s:
                yield where
            yield from _unlimited(spec, s["items"], f"{where}[]")
        elif kind == "object":
            if "properties" in s:
                for name, prop in s["properties"].items():
                    yield from _unlimited(spec, prop, f"{where}.{name}")
            else:
                if "maxProperties" not in s:
                    yield where
                yield from _unlimited(spec, s.get("propertyNames", {}), f"{where}{{key}}")
                yield from _unlimited(spec, s.get("additionalProperties", {}), f"{where}{{}}")


def test_every_body_and_query_field_carries_its_limits_in_the_schema(api: Api) -> None:
    spec = api.call("GET", "/openapi.json").json()
    unlimited: list[str] = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            for p in op.get("parameters", []):
                if p["in"] == "query":
                    unlimited += _unlimited(spec, p["schema"], f"{where} ?{p['name']}")
            for media in op.get("requestBody", {}).get("content", {}).values():
                unlimited += _unlimited(spec, media["schema"], f"{where} body")
    assert unlimited == []


def test_the_schema_takes_its_limits_from_the_domain(api: Api) -> None:
    spec = api.call("GET", "/openapi.json").json()

    def field(model: str, name: str) -> dict[str, Any]:
        (only,) = _variants(spec, spec["components"]["schemas"][model]["properties"][name])
        return only

    assert field("CreateOrganization", "display_name")["maxLength"] == values.DISPLAY_NAME_MAX
    assert field("CreateOrganization", "external_id")["maxLength"] == values.EXTERNAL_ID_MAX
    assert field("CreateOrganization", "slug")["maxLength"] == values.SLUG_MAX
    assert field("CreateOrganization", "logo_url")["maxLength"] == values.LOGO_URL_MAX
    metadata = field("CreateOrganization", "metadata")
    assert metadata["maxProperties"] == values.METADATA_MAX_PAIRS
    assert metadata["propertyNames"] == {
        "minLength": values.METADATA_KEY_MIN,
        "maxLength": values.METADATA_KEY_MAX,
    }
    assert metadata["additionalProperties"]["maxLength"] == values.METADATA_VALUE_MAX
    assert field("CreateUser", "email")["maxLength"] == values.EMAIL_MAX
    roles = field("MembershipFields", "roles")
    assert (roles["maxItems"], roles["items"]["maxLength"]) == (values.ROLES_MAX, values.ROLE_MAX)
    assert field("SessionPolicyBody", "idle_session_timeout")["maximum"] == (
        values.MAX_SESSION_MINUTES
    )
    methods = field("SignInMethodsBody", "allowed_sign_in_methods")["items"]
    assert _resolve(spec, methods)["enum"] == [m.value for m in values.SignInMethod]
    limit = field("UserManagement", "max_allowed_users")
    assert limit["minimum"] == 0

    def query(path: str, name: str) -> dict[str, Any]:
        (p,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name]
        (only,) = _variants(spec, p["schema"])
        return only

    bounds = [
        (query(ORGS, "page_size"), ORG_PAGE_SIZE),
        (query(f"{ORGS}:search", "page_size"), SEARCH_PAGE_SIZE),
        (query(f"{ORGS}/{{organization_id}}/users", "page_size"), MEMBER_PAGE_SIZE),
    ]
    for schema, (low, high, _) in bounds:
        assert (schema["minimum"], schema["maximum"]) == (low, high)
    search = query(f"{ORGS}:search", "query")
    assert (search["minLength"], search["maxLength"]) == QUERY_LENGTH


@pytest.mark.parametrize(
    ("pattern", "rule", "samples"),
    [
        (
            schemas.SLUG_PATTERN,
            values.slug,
            [
                "acme",
                "acme.example",
                "a-b",
                "a1",
                "-a",
                "a-",
                "A",
                "a..b",
                "a_b",
                "a" * 63,
                "a" * 64,
                "a b",
                "",
            ],
        ),
        (
            schemas.LOGO_URL_PATTERN,
            values.logo_url,
            [
                "https://x.example/l.png",
                "https://x",
                "http://x.example",
                "https:///l.png",
                "https://x.example/a b",
                "ftp://x",
                "",
            ],
        ),
        (
            schemas.EMAIL_PATTERN,
            values.email,
            [
                "ada@acme.example",
                "ada@acme",
                "ada",
                "@acme.example",
                "a b@acme.example",
                "ada@@acme.example",
            ],
        ),
        (
            schemas.ROLE_PATTERN,
            lambda r: values.roles([r]),
            ["admin", "org:admin", "a.b-c_d", "Admin", "-admin", "ad min", ""],
        ),
    ],
)
def test_the_schemas_patterns_accept_what_the_domain_accepts(
    pattern: str, rule: Callable[[str], object], samples: list[str]
) -> None:
    for sample in samples:
        try:
            rule(sample)
            accepted = True
        except InvalidField:
            accepted = False
        assert (re.search(pattern, sample) is not None) == accepted, sample


@pytest.mark.parametrize(
    ("path", "params", "body", "field"),
    [
        (ORGS, {}, {"display_name": "x" * 201}, "display_name"),
        (
            ORGS,
            {},
            {"display_name": "A", "metadata": {f"key{i}": "v" for i in range(11)}},
            "metadata",
        ),
        (ORGS, {}, {"display_name": "A", "slug": "a" * 254}, "slug"),
        (ORGS, {}, {"display_name": "A", "logo_url": "https://x/" + "a" * 1024}, "logo_url"),
    ],
)
def test_a_value_beyond_a_schema_limit_is_refused_naming_the_field(
    api: Api, path: str, params: dict[str, str], body: Any, field: str
) -> None:
    err = assert_error(api.call("POST", path, params=params, json=body), 400, "invalid_field")
    assert err["details"]["field"] == field


def test_a_query_beyond_its_limits_is_refused_naming_the_parameter(api: Api) -> None:
    wrong: list[tuple[str, dict[str, str | int], str]] = [
        (ORGS, {"page_size": 9}, "page_size"),
        (f"{ORGS}:search", {"query": "acme", "page_size": 31}, "page_size"),
        (ORGS, {"external_id": "x" * 256}, "external_id"),
    ]
    for path, params, field in wrong:
        err = assert_error(api.call("GET", path, params=params), 400, "invalid_field")
        assert err["details"]["field"] == field
