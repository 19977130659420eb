"""SCIM directories behave the same on every backend: created disabled and listed by their
organization, enabled only while the organization's ``dir_sync`` feature is on, active only while
both hold; a bearer token authenticates its own directory only, while it lives; nothing is
recorded when a command is refused, and no token reaches an event."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from tenantry.application.app import Tenantry
from tenantry.application.directory_dto import NewDirectorySecret
from tenantry.domain.base import Act, Aggregate
from tenantry.domain.organization import Organization
from tenantry.domain.sso_registry import SsoRegistry
from tenantry.errors import (
    DirectoryNotActive,
    DirectoryNotFound,
    DirectorySecretNotFound,
    DirectoryTokenInvalid,
    FeatureDisabled,
    InvalidField,
    NothingChanged,
    UndefinedRole,
)
from tests.support import FakeClock
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


def test_a_directory_is_updated_in_one_event_with_its_actor(dir_app: Tenantry) -> None:
    org_id = _org(dir_app)
    dir_id = dir_app.create_directory(org_id, name="Okta").id
    mapping = {
        "email": "emails.work",
        "family_name": None,
        "metadata": {"department": "enterprise.department"},
        "group_roles": {"Engineering": "admin"},
    }
    updated = dir_app.update_directory(
        org_id,
        dir_id,
        provider="MICROSOFT_ENTRA_ID",
        name="Entra",
        mapping=mapping,
        actor="admin@acme.example",
        reason="moving to Entra",
    )
    assert (updated.directory_provider, updated.name) == ("MICROSOFT_ENTRA_ID", "Entra")
    m = updated.mapping
    assert (m.email, m.given_name, m.family_name) == ("emails.work", "name.givenName", None)
    assert m.metadata == {"department": "enterprise.department"}
    assert m.group_roles == {"Engineering": "admin"}
    assert topics(dir_app)[-1] == "Directory.Updated"
    event = stored(dir_app)[-1][2]
    assert (event["actor"], event["reason"]) == ("admin@acme.example", "moving to Entra")
    cleared = dir_app.update_directory(org_id, dir_id, name="", mapping={"group_roles": {}})
    assert (cleared.name, cleared.mapping.group_roles) == (None, {})
    assert cleared.mapping.metadata == {"department": "enterprise.department"}
    with records_nothing(dir_app), pytest.raises(NothingChanged):
        dir_app.update_directory(org_id, dir_id, provider="MICROSOFT_ENTRA_ID", mapping={})
    assert dir_app.get_directory(org_id, dir_id) == cleared


def test_a_bad_update_records_nothing_and_names_the_field(dir_app: Tenantry) -> None:
    org_id = _org(dir_app)
    dir_id = dir_app.create_directory(org_id).id
    for kwargs, field in [
        ({"provider": "LDAP"}, "provider"),
        ({"name": "\u202eevil"}, "name"),
        ({"mapping": {"email": "title"}}, "mapping.email"),
        ({"mapping": {"metadata": {"dept": "department"}}}, "mapping.metadata.dept"),
        ({"mapping": ["email"]}, "mapping"),
    ]:
        with records_nothing(dir_app), pytest.raises(InvalidField) as refused:
            dir_app.update_directory(org_id, dir_id, **kwargs)  # type: ignore[arg-type]
        assert refused.value.field == field
    with records_nothing(dir_app), pytest.raises(InvalidField) as refused:
        dir_app.create_directory(org_id, "LDAP")
    assert refused.value.field == "provider"


def test_mapped_roles_must_be_defined_once_roles_are(dir_app: Tenantry) -> None:
    org_id = _org(dir_app)
    dir_id = dir_app.create_directory(org_id).id
    free = dir_app.update_directory(org_id, dir_id, mapping={"group_roles": {"Ops": "ops"}})
    assert free.mapping.group_roles == {"Ops": "ops"}  # no role defined yet: free labels
    dir_app.create_role("engineer")
    dir_app.create_organization_role(org_id, "auditor")
    with records_nothing(dir_app), pytest.raises(UndefinedRole) as refused:
        dir_app.update_directory(org_id, dir_id, mapping={"group_roles": {"Ops": "ops"}})
    assert (refused.value.field, refused.value.name) == ("mapping.group_roles", "ops")
    roles = {"Engineering": "engineer", "Audit": "auditor", "Admins": "admin"}
    assert (
        dir_app.update_directory(org_id, dir_id, mapping={"group_roles": roles}).mapping.group_roles
        == roles
    )


def test_a_token_is_rotated_with_or_without_a_grace_period(
    dir_app: Tenantry, clock: FakeClock
) -> None:
    org_id = _org(dir_app)
    dir_id = dir_app.create_directory(org_id).id
    dir_app.enable_directory(org_id, dir_id)
    _, first = dir_app.create_directory_secret(org_id, dir_id, actor="admin@acme.example")
    assert stored(dir_app)[-1][2]["actor"] == "admin@acme.example"
    clock.advance(timedelta(minutes=1))
    directory, second = dir_app.create_directory_secret(
        org_id, dir_id, grace_period=timedelta(hours=1)
    )
    old, new = directory.secrets
    assert (old.status, old.expire_time) == ("ACTIVE", clock() + timedelta(hours=1))
    assert (new.status, new.expire_time, new.create_time) == ("ACTIVE", None, clock())
    assert new.id.startswith("dsec_")
    assert dir_app.authenticate_directory(dir_id, first).directory_id == dir_id
    clock.advance(timedelta(hours=1))
    with pytest.raises(DirectoryTokenInvalid):
        dir_app.authenticate_directory(dir_id, first)
    assert dir_app.get_directory(org_id, dir_id).secrets[0].status == "EXPIRED"
    directory, third = dir_app.create_directory_secret(org_id, dir_id)  # no grace
    assert [s.status for s in directory.secrets] == ["EXPIRED", "EXPIRED", "ACTIVE"]
    with pytest.raises(DirectoryTokenInvalid):
        dir_app.authenticate_directory(dir_id, second)
    assert dir_app.authenticate_directory(dir_id, third).directory_id == dir_id
    with records_nothing(dir_app), pytest.raises(InvalidField) as refused:
        dir_app.create_directory_secret(org_id, dir_id, grace_period=3600)  # type: ignore[arg-type]
    assert refused.value.field == "grace_period"
    with records_nothing(dir_app), pytest.raises(InvalidField):
        dir_app.create_directory_secret(org_id, dir_id, grace_period=timedelta(days=31))
    recorded = _stored_json(dir_app)
    assert all(token not in recorded for token in (first, second, third))


def test_a_revoked_token_stops_at_once(dir_app: Tenantry) -> None:
    org_id = _org(dir_app)
    dir_id = dir_app.create_directory(org_id).id
    dir_app.enable_directory(org_id, dir_id)
    directory, token = dir_app.create_directory_secret(org_id, dir_id)
    secret_id = directory.secrets[0].id
    revoked = dir_app.revoke_directory_secret(org_id, dir_id, secret_id, actor="admin@x.example")
    assert revoked.secrets[0].status == "REVOKED"
    assert stored(dir_app)[-1][2]["actor"] == "admin@x.example"
    with pytest.raises(DirectoryTokenInvalid):
        dir_app.authenticate_directory(dir_id, token)
    with records_nothing(dir_app), pytest.raises(NothingChanged):
        dir_app.revoke_directory_secret(org_id, dir_id, secret_id)
    with records_nothing(dir_app), pytest.raises(DirectorySecretNotFound):
        dir_app.revoke_directory_secret(org_id, dir_id, "dsec_" + "0" * 26)
    with records_nothing(dir_app), pytest.raises(InvalidField) as refused:
        dir_app.revoke_directory_secret(org_id, dir_id, dir_id)
    assert refused.value.field == "secret_id"


def test_a_deleted_directory_is_gone_and_its_token_refused(dir_app: Tenantry) -> None:
    org_id = _org(dir_app)
    kept = dir_app.create_directory(org_id).id
    dir_id = dir_app.create_directory(org_id).id
    dir_app.enable_directory(org_id, dir_id)
    _, token = dir_app.create_directory_secret(org_id, dir_id)
    dir_app.delete_directory(org_id, dir_id, actor="admin@acme.example")
    assert topics(dir_app)[-2:] == ["Directory.Deleted", "SsoRegistry.DirectoryUnlisted"]
    assert [d.id for d in dir_app.list_directories(org_id)] == [kept]
    with pytest.raises(DirectoryNotFound):
        dir_app.get_directory(org_id, dir_id)
    with records_nothing(dir_app), pytest.raises(DirectoryNotFound):
        dir_app.delete_directory(org_id, dir_id)
    with pytest.raises(DirectoryTokenInvalid):
        dir_app.authenticate_directory(dir_id, token)


def test_the_audit_log_files_every_directory_event_under_its_organization(
    dir_app: Tenantry,
) -> None:
    org_id = _org(dir_app)
    dir_id = dir_app.create_directory(org_id).id
    dir_app.enable_directory(org_id, dir_id)
    directory, token = dir_app.create_directory_secret(org_id, dir_id)
    dir_app.revoke_directory_secret(org_id, dir_id, directory.secrets[0].id)
    dir_app.delete_directory(org_id, dir_id)
    views = dir_app.views  # type: ignore[attr-defined]
    page = views.list_audit_log(
        organization_id=org_id, page_size=100, min_position=dir_app.last_position
    )
    events = [e.event for e in page.entries if e.aggregate == "Directory"]
    assert sorted(events) == sorted(
        [
            "Directory.Created",
            "Directory.Enabled",
            "Directory.SecretIssued",
            "Directory.SecretRevoked",
            "Directory.Deleted",
        ]
    )
    listed = [e for e in page.entries if e.event == "SsoRegistry.DirectoryListed"]
    assert [e.data["directory_id"] for e in listed] == [dir_id]
    assert token not in json.dumps([e.data for e in page.entries])


def test_a_new_token_is_in_no_repr_nor_str(dir_app: Tenantry) -> None:
    org_id = _org(dir_app)
    dir_id = dir_app.create_directory(org_id).id
    directory, token = dir_app.create_directory_secret(org_id, dir_id)
    new = NewDirectorySecret.of(directory, token)
    assert new.plain_secret == token
    assert token not in repr(new)
    assert token not in str(new)
    assert new.secret.secret_suffix in repr(new)


def test_a_mapping_change_saves_what_provisioning_changes_with_it(dir_app: Tenantry) -> None:
    org_id = _org(dir_app)
    dir_id = dir_app.create_directory(org_id).id
    calls: list[tuple[str, dict[str, str]]] = []

    def after(org: Organization, directory: Any, act: Act) -> Sequence[Aggregate]:
        calls.append((directory.public_id, dict(directory.state.mapping.group_roles)))
        return (SsoRegistry.open(uuid4(), act),)  # stands for the members it gives roles

    dir_app._after_mapping_change = after  # type: ignore[method-assign]
    dir_app.update_directory(org_id, dir_id, name="Renamed")  # no mapping change: no call
    assert calls == []
    dir_app.update_directory(org_id, dir_id, mapping={"group_roles": {"Ops": "admin"}})
    assert calls == [(dir_id, {"Ops": "admin"})]
    assert topics(dir_app)[-2:] == ["Directory.Updated", "SsoRegistry.Opened"]
    assert len({s["command_id"] for _, _, s in stored(dir_app)[-2:]}) == 1  # one transaction
