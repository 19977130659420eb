"""The SCIM directory routes on SQLite and PostgreSQL: their JSON shapes (schemas written from the
hosted names: ``directory``, ``directories``, ``directory_provider``, ``directory_endpoint``,
``plain_secret``, ``secret``), their errors, the token answered once and never stored nor
listed, and the ``directories`` scopes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tenantry.adapters.http import create_app
from tenantry.adapters.http.directory_schemas import EmailSource, ProviderName, Source
from tenantry.application.app import Tenantry
from tenantry.domain.directory_values import (
    EMAIL_SOURCES,
    PROVIDER_ALIASES,
    SOURCES,
    DirectoryProvider,
)
from tenantry.domain.scim_documents import ScimKind
from tests.contract.test_hosted_shapes import EMPTY, ERROR, TIME, check
from tests.contract.test_sso_http import _scoped
from tests.integration.http_support import ORGS, Api, assert_error, authorized
from tests.provisioning_support import scim_group, scim_user
from tests.support import database
from tests.unit.helpers import stored

BASE = "https://auth.example.com"
NULLABLE_TIME = {"anyOf": [TIME, {"type": "null"}]}
SECRET = {
    "type": "object",
    "required": ["id", "secret_suffix", "status", "create_time", "expire_time"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^dsec_[0-9a-z]{26}$"},
        "secret_suffix": {"type": "string", "minLength": 4, "maxLength": 4},
        "status": {"enum": ["ACTIVE", "EXPIRED", "REVOKED"]},
        "create_time": TIME,
        "expire_time": NULLABLE_TIME,
    },
}
DIRECTORY = {
    "type": "object",
    "required": [
        "id",
        "organization_id",
        "directory_type",
        "directory_provider",
        "name",
        "enabled",
        "directory_endpoint",
        "secrets",
        "mapping",
        "total_users",
        "total_groups",
        "create_time",
        "update_time",
    ],
    "properties": {
        "id": {"type": "string", "pattern": "^dir_[0-9a-z]{26}$"},
        "organization_id": {"type": "string", "pattern": "^org_[0-9a-z]{26}$"},
        "directory_type": {"const": "SCIM"},
        "directory_provider": {"enum": [p.value for p in DirectoryProvider]},
        "enabled": {"type": "boolean"},
        "directory_endpoint": {"type": "string", "pattern": f"^{BASE}/scim/v2/dir_[0-9a-z]{{26}}$"},
        "secrets": {"type": "array", "items": SECRET},
        "mapping": {
            "type": "object",
            "required": ["email", "given_name", "family_name", "metadata", "group_roles"],
        },
        "total_users": {"type": "integer", "minimum": 0},
        "total_groups": {"type": "integer", "minimum": 0},
        "create_time": TIME,
        "update_time": TIME,
    },
}
ONE = {"type": "object", "required": ["directory"], "properties": {"directory": DIRECTORY}}
MANY = {
    "type": "object",
    "required": ["directories"],
    "properties": {"directories": {"type": "array", "items": DIRECTORY}},
}
CREATED_SECRET = {
    "type": "object",
    "required": ["plain_secret", "secret", "directory"],
    "properties": {
        "plain_secret": {"type": "string", "minLength": 43},
        "secret": SECRET,
        "directory": DIRECTORY,
    },
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Api, Tenantry]]:
    tmp: Path = tmp_path_factory.mktemp("directories")
    with database(request.param, tmp) as url:
        app = create_app(url)
        t: Tenantry = app.state.tenantry
        t.configure_sso(base_url=BASE)
        with TestClient(app) as client:
            yield authorized(app, client), t


def _org(api: Api, dir_sync: bool = True) -> str:
    org_id: str = api.create_org(display_name="SCIM")["id"]
    if dir_sync:
        features = {"features": [{"name": "dir_sync", "enabled": True}]}
        r = api.call("PATCH", f"{ORGS}/{org_id}/settings", json=features)
        assert r.status_code == 200, r.text
    return org_id


def _enabled_directory(api: Api) -> tuple[str, str]:
    """A new organization's enabled directory: its organization's directories path, its id."""
    path = f"{ORGS}/{_org(api)}/directories"
    dir_id = api.call("POST", path, json={"directory_provider": "OKTA"}).json()["directory"]["id"]
    api.call("PATCH", f"{path}/{dir_id}:enable")
    return path, dir_id


def _ok(r: Any, schema: dict[str, Any], status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    check(schema, r.json())
    body: dict[str, Any] = r.json()
    return body


def test_every_provider_alias_and_source_is_accepted() -> None:
    providers = {p.value for p in DirectoryProvider} | set(PROVIDER_ALIASES)
    assert set(ProviderName.__args__) == providers
    assert set(Source.__args__) == SOURCES
    assert EmailSource.__args__ == EMAIL_SOURCES


def test_a_directory_is_created_enabled_listed_updated_and_deleted(
    served: tuple[Api, Tenantry],
) -> None:
    api, _ = served
    org_id = _org(api)
    path = f"{ORGS}/{org_id}/directories"
    body = {"directory_type": "SCIM", "directory_provider": "OKTA", "name": "Okta"}
    created = _ok(api.call("POST", path, json=body), ONE, 201)["directory"]
    dir_id = created["id"]
    assert created["directory_endpoint"] == f"{BASE}/scim/v2/{dir_id}"
    assert (created["enabled"], created["secrets"], created["name"]) == (False, [], "Okta")
    assert _ok(api.call("GET", f"{path}/{dir_id}"), ONE)["directory"] == created
    enabled = _ok(api.call("PATCH", f"{path}/{dir_id}:enable"), ONE)["directory"]
    assert enabled["enabled"] is True
    again = _ok(api.call("PATCH", f"{path}/{dir_id}:enable"), ONE)  # idempotent
    assert again["directory"]["enabled"] is True
    assert [d["id"] for d in _ok(api.call("GET", path), MANY)["directories"]] == [dir_id]
    mapping = {
        "email": "emails.work",
        "family_name": None,
        "metadata": {"department": "enterprise.department"},
        "group_roles": {"Admins": "admin"},
    }
    patch = {"directory_provider": "AZURE_AD", "name": None, "mapping": mapping}
    updated = _ok(api.call("PATCH", f"{path}/{dir_id}", json=patch), ONE)["directory"]
    assert (updated["directory_provider"], updated["name"]) == ("MICROSOFT_ENTRA_ID", None)
    assert updated["mapping"] == {**mapping, "given_name": "name.givenName"}
    same = _ok(api.call("PATCH", f"{path}/{dir_id}", json=patch), ONE)  # nothing changes
    assert same["directory"] == updated
    kept = _ok(api.call("PATCH", f"{path}/{dir_id}", json={"mapping": {}}), ONE)["directory"]
    assert kept["mapping"] == updated["mapping"]
    disabled = _ok(api.call("PATCH", f"{path}/{dir_id}:disable"), ONE)["directory"]
    assert disabled["enabled"] is False
    check(EMPTY, api.call("DELETE", f"{path}/{dir_id}").json())
    assert _ok(api.call("GET", path), MANY)["directories"] == []
    gone = assert_error(api.call("GET", f"{path}/{dir_id}"), 404, "directory_not_found")
    check(ERROR, gone)


def test_a_token_is_answered_once_rotated_with_grace_and_revoked(
    served: tuple[Api, Tenantry],
) -> None:
    api, t = served
    org_id = _org(api)
    path = f"{ORGS}/{org_id}/directories"
    dir_id = api.call("POST", path, json={}).json()["directory"]["id"]
    api.call("PATCH", f"{path}/{dir_id}:enable")
    first = _ok(api.call("POST", f"{path}/{dir_id}/secrets"), CREATED_SECRET, 201)
    token = first["plain_secret"]
    assert first["secret"]["secret_suffix"] == token[-4:]
    assert first["secret"]["status"] == "ACTIVE"
    assert t.authenticate_directory(dir_id, token).directory_id == dir_id
    body = {"grace_period_seconds": 3600}
    second = _ok(api.call("POST", f"{path}/{dir_id}/secrets", json=body), CREATED_SECRET, 201)
    old, new = second["directory"]["secrets"]
    assert old["id"] == first["secret"]["id"]
    assert old["expire_time"] is not None
    assert new == second["secret"]
    assert t.authenticate_directory(dir_id, token).directory_id == dir_id  # within its grace
    revoked = api.call("DELETE", f"{path}/{dir_id}/secrets/{old['id']}")
    assert revoked.status_code == 200, revoked.text
    check(
        {"type": "object", "required": ["secret"], "properties": {"secret": SECRET}}, revoked.json()
    )
    assert revoked.json()["secret"]["status"] == "REVOKED"
    again = api.call("DELETE", f"{path}/{dir_id}/secrets/{old['id']}")  # idempotent
    assert again.json()["secret"]["status"] == "REVOKED"
    missing = api.call("DELETE", f"{path}/{dir_id}/secrets/dsec_{'0' * 26}")
    assert_error(missing, 404, "directory_secret_not_found")
    listed = api.call("GET", path).text + api.call("GET", f"{path}/{dir_id}").text
    recorded = json.dumps(stored(t))
    for plain in (token, second["plain_secret"]):
        assert plain not in listed
        assert plain not in recorded


def test_bad_input_is_refused_naming_the_field_and_records_nothing(
    served: tuple[Api, Tenantry],
) -> None:
    api, t = served
    org_id = _org(api, dir_sync=False)
    path = f"{ORGS}/{org_id}/directories"
    dir_id = api.call("POST", path, json={"directory_provider": "GOOGLE"}).json()["directory"]["id"]
    before = t.recorder.max_notification_id()
    disabled = assert_error(api.call("PATCH", f"{path}/{dir_id}:enable"), 422, "feature_disabled")
    assert disabled["details"]["feature"] == "dir_sync"
    for body, field in [
        ({"mapping": {"email": "displayName"}}, "mapping.email"),
        ({"mapping": {"given_name": "name.middleName"}}, "mapping.given_name"),
        ({"mapping": {"colour": "blue"}}, "mapping.colour"),
        ({"directory_provider": "LDAP"}, "directory_provider"),
    ]:
        refused = assert_error(
            api.call("PATCH", f"{path}/{dir_id}", json=body), 400, "invalid_field"
        )
        assert refused["details"]["field"].startswith(field), refused
    too_long = {"grace_period_seconds": 31 * 86400}
    refused = assert_error(
        api.call("POST", f"{path}/{dir_id}/secrets", json=too_long), 400, "invalid_field"
    )
    assert refused["details"]["field"].endswith("grace_period_seconds")
    assert t.recorder.max_notification_id() == before
    other = _org(api)
    assert_error(
        api.call("GET", f"{ORGS}/{other}/directories/{dir_id}"), 404, "directory_not_found"
    )


def test_a_client_needs_the_directories_scopes(served: tuple[Api, Tenantry]) -> None:
    api, _ = served
    org_id = _org(api)
    path = f"{ORGS}/{org_id}/directories"
    sso_only = _scoped(api, "sso-only", ["connections:write", "organizations:write"])
    refused = api.client.get(path, headers=sso_only)
    assert refused.status_code == 403
    assert refused.json()["details"] == {"scope": "directories:read"}
    reader = _scoped(api, "directory-reader", ["directories:read"])
    assert api.client.get(path, headers=reader).status_code == 200
    write = api.client.post(path, json={}, headers=reader)
    assert write.status_code == 403
    assert write.json()["details"] == {"scope": "directories:write"}


def test_a_token_is_never_kept_for_an_idempotent_replay(served: tuple[Api, Tenantry]) -> None:
    api, t = served
    org_id = _org(api)
    path = f"{ORGS}/{org_id}/directories"
    dir_id = api.call("POST", path, json={}).json()["directory"]["id"]
    before = t.recorder.max_notification_id()
    key = {"Idempotency-Key": "new-token-1"}
    refused = api.call("POST", f"{path}/{dir_id}/secrets", headers=key)
    body = assert_error(refused, 400, "invalid_field")
    assert body["details"]["field"] == "Idempotency-Key"
    assert t.recorder.max_notification_id() == before
    created = api.call("POST", f"{path}/{dir_id}/secrets")
    assert created.status_code == 201, created.text
    again = api.call("POST", f"{path}/{dir_id}/secrets", headers=key)  # the key stays unused
    assert_error(again, 400, "invalid_field")


def test_a_directorys_users_and_groups_are_listed_a_page_at_a_time(
    served: tuple[Api, Tenantry],
) -> None:
    api, t = served
    path, dir_id = _enabled_directory(api)
    made = [
        t.scim_create(dir_id, ScimKind.USER, scim_user(f"u{i}@list.example")).id for i in range(3)
    ]
    group = t.scim_create(dir_id, ScimKind.GROUP, scim_group("Engineering", made[:2])).id
    first = api.call("GET", f"{path}/{dir_id}/users", params={"page_size": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert ([u["id"] for u in page["users"]], page["total_size"]) == (made[:2], 3)
    assert page["users"][0]["email"] == "u0@list.example"
    assert page["users"][0]["groups"] == [{"id": group, "display_name": "Engineering"}]
    params = {"page_size": 2, "page_token": page["next_page_token"]}
    rest = api.call("GET", f"{path}/{dir_id}/users", params=params).json()
    assert ([u["id"] for u in rest["users"]], rest["next_page_token"]) == (made[2:], "")
    groups = api.call("GET", f"{path}/{dir_id}/groups").json()
    assert [(g["id"], g["total_users"]) for g in groups["groups"]] == [(group, 2)]
    directory = api.call("GET", f"{path}/{dir_id}").json()["directory"]
    assert (directory["total_users"], directory["total_groups"]) == (3, 1)
    too_many = api.call("GET", f"{path}/{dir_id}/users", params={"page_size": 31})
    assert assert_error(too_many, 400, "invalid_field")["details"]["field"].endswith("page_size")
    reader = _scoped(api, "directory-lister", ["directories:read"])
    assert api.client.get(f"{path}/{dir_id}/groups", headers=reader).status_code == 200
    members_only = _scoped(api, "members-reader", ["members:read"])
    refused = api.client.get(f"{path}/{dir_id}/users", headers=members_only)
    assert refused.json()["details"] == {"scope": "directories:read"}


def test_updated_after_lists_only_what_changed_since_and_a_bad_time_is_refused(
    served: tuple[Api, Tenantry],
) -> None:
    api, t = served
    path, dir_id = _enabled_directory(api)
    ada, bob = (t.scim_create(dir_id, ScimKind.USER, scim_user(f"{n}@a.example")).id for n in "ab")
    t.scim_create(dir_id, ScimKind.GROUP, scim_group("Eng", []))
    since = api.call("GET", f"{path}/{dir_id}/groups").json()["groups"][0]["update_time"]
    t.scim_replace(dir_id, ScimKind.USER, bob, scim_user("b@a.example", active=False))
    for kind, expected in (("users", [bob]), ("groups", [])):
        r = api.call("GET", f"{path}/{dir_id}/{kind}", params={"updated_after": since})
        page = r.json()
        assert ([x["id"] for x in page[kind]], page["total_size"]) == (expected, len(expected))
    everyone = api.call("GET", f"{path}/{dir_id}/users").json()["users"]
    assert [u["id"] for u in everyone] == [ada, bob]
    for bad in ("5432", "2026-11-01T12:00:00", "yesterday"):
        for kind in ("users", "groups"):
            r = api.call("GET", f"{path}/{dir_id}/{kind}", params={"updated_after": bad})
            assert assert_error(r, 400, "invalid_field")["details"]["field"].endswith(
                "updated_after"
            ), bad
    paths = api.client.get("/openapi.json").json()["paths"]
    for kind in ("users", "groups"):
        listing = paths[f"{ORGS}/{{organization_id}}/directories/{{directory_id}}/{kind}"]["get"]
        assert "updated_after" in [p["name"] for p in listing["parameters"]]
