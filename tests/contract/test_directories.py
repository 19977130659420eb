"""SCIM directories behave the same on every backend: created disabled and listed by their
organization, enabled only while the organization's ``dir_sync`` feature is on, active only while
both hold; a bearer token authenticates its own directory only, while it lives; nothing is
recorded when a command is refused, and no token reaches an event."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tenantry.application.app import Tenantry
from tenantry.errors import (
    DirectoryNotActive,
    DirectoryNotFound,
    DirectoryTokenInvalid,
    FeatureDisabled,
    InvalidField,
    NothingChanged,
)
from tests.unit.helpers import records_nothing, stored, topics


@pytest.fixture
def dir_app(make_app: Callable[..., Tenantry], database_url: str) -> Tenantry:
    return make_app(database_url)


def _org(app: Tenantry, dir_sync: bool = True) -> str:
    org_id = app.create_organization("Acme").id
    if dir_sync:
        app.update_organization_settings(org_id, [("dir_sync", True)])
    return org_id


def _stored_json(app: Tenantry) -> str:
    return json.dumps(stored(app))


def test_a_directory_is_created_disabled_and_listed(dir_app: Tenantry) -> None:
    org_id = _org(dir_app)
    directory = dir_app.create_directory(org_id, "OKTA", name="Okta", actor="admin@acme.example")
    assert directory.id.startswith("dir_")
    assert len(directory.id) == 30
    assert (directory.directory_type, directory.directory_provider) == ("SCIM", "OKTA")
    assert (directory.name, directory.enabled, directory.active) == ("Okta", False, False)
    assert directory.directory_endpoint == f"/scim/v2/{directory.id}"
    assert directory.secrets == []
    assert (directory.total_users, directory.total_groups) == (0, 0)
    assert dir_app.get_directory(org_id, directory.id) == directory
    assert [d.id for d in dir_app.list_directories(org_id)] == [directory.id]
    assert topics(dir_app)[-3:] == [
        "Directory.Created",
        "SsoRegistry.Opened",
        "SsoRegistry.DirectoryListed",
    ]
    assert all(s["actor"] == "admin@acme.example" for _, _, s in stored(dir_app)[-3:])


def test_enabling_needs_dir_sync_and_turning_it_off_deactivates(dir_app: Tenantry) -> None:
    org_id = _org(dir_app, dir_sync=False)
    dir_id = dir_app.create_directory(org_id).id
    with records_nothing(dir_app), pytest.raises(FeatureDisabled) as refused:
        dir_app.enable_directory(org_id, dir_id)
    assert refused.value.feature == "dir_sync"
    dir_app.update_organization_settings(org_id, [("dir_sync", True)])
    enabled = dir_app.enable_directory(org_id, dir_id, actor="admin@acme.example")
    assert (enabled.enabled, enabled.active) == (True, True)
    with records_nothing(dir_app), pytest.raises(NothingChanged):
        dir_app.enable_directory(org_id, dir_id)
    dir_app.update_organization_settings(org_id, [("dir_sync", False)])
    assert dir_app.get_directory(org_id, dir_id).active is False
    assert dir_app.get_directory(org_id, dir_id).enabled is True
    disabled = dir_app.disable_directory(org_id, dir_id)
    assert (disabled.enabled, disabled.active) == (False, False)
    with records_nothing(dir_app), pytest.raises(NothingChanged):
        dir_app.disable_directory(org_id, dir_id)


def test_a_directory_is_found_only_in_its_own_organization(dir_app: Tenantry) -> None:
    org_id, other = _org(dir_app), _org(dir_app)
    dir_id = dir_app.create_directory(org_id).id
    with records_nothing(dir_app), pytest.raises(DirectoryNotFound):
        dir_app.enable_directory(other, dir_id)
    with pytest.raises(DirectoryNotFound):
        dir_app.get_directory(other, dir_id)
    with pytest.raises(InvalidField) as refused:
        dir_app.get_directory(org_id, "conn_" + dir_id[4:])
    assert refused.value.field == "directory_id"
    assert dir_app.list_directories(other) == []


def test_a_token_authenticates_its_own_active_directory_only(dir_app: Tenantry) -> None:
    org_id = _org(dir_app)
    dir_id = dir_app.create_directory(org_id).id
    other_id = dir_app.create_directory(org_id).id
    directory, token = dir_app.create_directory_secret(org_id, dir_id)
    _, other_token = dir_app.create_directory_secret(org_id, other_id)
    assert directory.secrets[-1].secret_suffix == token[-4:]
    assert len(token) >= 43
    with pytest.raises(DirectoryNotActive):  # a good token, a disabled directory
        dir_app.authenticate_directory(dir_id, token)
    dir_app.enable_directory(org_id, dir_id)
    principal = dir_app.authenticate_directory(dir_id, token)
    assert (principal.directory_id, principal.organization_id) == (dir_id, org_id)
    assert principal.actor == f"directory:{dir_id}"
    for wrong_dir, wrong_token in [
        (dir_id, other_token),  # another directory's token
        (dir_id, token + "x"),
        (dir_id, ""),
        ("dir_" + "0" * 26, token),  # no such directory
        ("not-an-id", token),
    ]:
        with pytest.raises(DirectoryTokenInvalid) as refused:
            dir_app.authenticate_directory(wrong_dir, wrong_token)
        assert token not in str(refused.value)
        assert refused.value.details == {}
    dir_app.update_organization_settings(org_id, [("dir_sync", False)])
    with pytest.raises(DirectoryNotActive):
        dir_app.authenticate_directory(dir_id, token)
    assert token not in _stored_json(dir_app)
    assert other_token not in _stored_json(dir_app)
