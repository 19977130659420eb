"""Tenant export and import (tenantry.application.transfer), in memory."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from tenantry.application import transfer
from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.errors import (
    ExternalIdTaken,
    InvalidField,
    OrganizationAlreadyExists,
    OrganizationNotFound,
    SlugTaken,
)
from tenantry.domain.organization import Organization
from tests.support import FakeClock
from tests.unit.helpers import records_nothing

MakeApp = Callable[..., Tenantry]


def _seeded(app: Tenantry, clock: FakeClock) -> str:
    """An organization with a history touching every kind of exported aggregate."""
    org = app.create_organization("Acme", external_id="acme", slug="acme", actor="ops")
    clock.advance(timedelta(minutes=1))
    app.upsert_user_management_settings(org.id, 5, actor="ops")
    app.invite_member(org.id, "ada@acme.example", roles=["admin"])
    app.invite_member(org.id, "bob@acme.example")
    clock.advance(timedelta(minutes=1))
    app.accept_invitation(org.id, "ada@acme.example")
    app.remove_member(org.id, "bob@acme.example", reason="left")
    app.add_member(org.id, "cy@acme.example")
    app.update_organization(org.id, display_name="Acme Inc")
    return org.id


def _lines(app: Tenantry, org_id: str) -> list[str]:
    records, _ = transfer.export_organization(app, org_id)
    return [transfer.dump_line(r) for r in records]


def _history(app: Tenantry, org_id: str) -> list[dict[str, object]]:
    return [h.model_dump(mode="json") for h in app.list_history(org_id)]


def test_an_export_holds_the_organization_its_memberships_and_their_users_in_time_order(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = make_app()
    org_id = _seeded(app, clock)
    records, summary = transfer.export_organization(app, org_id)
    assert (summary.memberships, summary.users, summary.events) == (3, 3, len(records))
    org_uuid = ids.decode(ids.ORG, org_id)
    kinds = {r.originator_id for r in records}
    users = {ids.user_uuid(e) for e in ("ada@acme.example", "bob@acme.example", "cy@acme.example")}
    assert kinds == {org_uuid} | users | {ids.membership_uuid(org_uuid, u) for u in users}
    times = [r.state["timestamp"] for r in records]
    assert times == sorted(times)
    assert records[0].topic.endswith("Organization.Created")
    assert not any("KeyClaim" in r.topic for r in records)
    org_versions = [r.originator_version for r in records if r.originator_id == org_uuid]
    assert org_versions == list(range(1, app.get_organization(org_id).version + 1))


def test_an_import_recreates_the_same_history_and_state_with_the_same_ids(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source, target = make_app(), make_app()
    org_id = _seeded(source, clock)
    lines = _lines(source, org_id)
    summary = transfer.import_organization(target, transfer.parse_lines(lines))
    assert summary.organization_id == org_id
    assert summary.keys_claimed == ["external_id=acme", "slug=acme"]
    assert _history(target, org_id) == _history(source, org_id)
    assert target.get_organization(org_id) == source.get_organization(org_id)
    assert target.get_organization_by_external_id("acme").id == org_id
    assert target.get_membership(org_id, "ada@acme.example") == source.get_membership(
        org_id, "ada@acme.example"
    )
    assert _lines(target, org_id) == lines


def test_an_imported_organization_keeps_its_keys_unique_in_the_target(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source, target = make_app(), make_app()
    org_id = _seeded(source, clock)
    transfer.import_organization(target, transfer.parse_lines(_lines(source, org_id)))
    with pytest.raises(SlugTaken) as e:
        target.create_organization("Impostor", slug="acme")
    assert e.value.slug == "acme"


def test_an_import_is_refused_when_the_target_already_holds_the_organization(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source, target = make_app(), make_app()
    org_id = _seeded(source, clock)
    lines = _lines(source, org_id)
    transfer.import_organization(target, transfer.parse_lines(lines))
    with records_nothing(target), pytest.raises(OrganizationAlreadyExists) as e:
        transfer.import_organization(target, transfer.parse_lines(lines))
    assert e.value.organization_id == org_id
    assert e.value.code == "organization_already_exists"


@pytest.mark.parametrize(("key", "error"), [("external_id", ExternalIdTaken), ("slug", SlugTaken)])
def test_an_import_is_refused_when_a_live_organization_holds_its_key(
    make_app: MakeApp, clock: FakeClock, key: str, error: type[ExternalIdTaken | SlugTaken]
) -> None:
    source, target = make_app(), make_app()
    org_id = _seeded(source, clock)
    target.create_organization("Local Acme", **{key: "acme"})  # type: ignore[arg-type]
    with records_nothing(target), pytest.raises(error) as e:
        transfer.import_organization(target, transfer.parse_lines(_lines(source, org_id)))
    assert e.value.details == {key: "acme"}
    with pytest.raises(OrganizationNotFound):
        target.get_organization(org_id)


def test_an_import_reclaims_a_key_that_a_deleted_organization_released(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source, target = make_app(), make_app()
    org_id = _seeded(source, clock)
    old = target.create_organization("Old Acme", external_id="acme", slug="acme")
    target.delete_organization(old.id)
    transfer.import_organization(target, transfer.parse_lines(_lines(source, org_id)))
    assert target.get_organization_by_external_id("acme").id == org_id


def test_a_deleted_organization_imports_without_claiming_its_keys(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source, target = make_app(), make_app()
    org_id = _seeded(source, clock)
    source.delete_organization(org_id)
    summary = transfer.import_organization(target, transfer.parse_lines(_lines(source, org_id)))
    assert summary.keys_claimed == []
    assert target.create_organization("New Acme", external_id="acme").external_id == "acme"
    assert _history(target, org_id) == _history(source, org_id)


# A sign-up exported by the version before User and KeyClaim moved out of
# tenantry.domain.membership (the topics name that module).
PREVIOUS_VERSION_EXPORT = [
    '{"originator_id":"01900000-0000-7000-8000-000000000001","originator_version":1,"topic":"tenantry.domain.organization:Organization.Created","state":{"timestamp":"2026-01-01T12:00:00Z","originator_topic":"tenantry.domain.organization:Organization","actor":"ada@acme.example","reason":null,"display_name":"Acme","external_id":"acme","slug":null,"logo_url":null,"region_code":"US","metadata":{}}}',
    '{"originator_id":"01900000-0000-7000-8000-000000000001","originator_version":2,"topic":"tenantry.domain.organization:Organization.MemberAdded","state":{"timestamp":"2026-01-01T12:00:00Z","actor":"ada@acme.example","reason":null,"user_id":"2aa2e9a1-a3f5-51f5-be9a-ab173868a057","email":"ada@acme.example","provisioning_method":"org_creator"}}',
    '{"originator_id":"01900000-0000-7000-a13c-54d757657e6b","originator_version":1,"topic":"tenantry.domain.membership:Membership.Provisioned","state":{"timestamp":"2026-01-01T12:00:00Z","originator_topic":"tenantry.domain.membership:Membership","actor":"ada@acme.example","reason":null,"organization_id":"01900000-0000-7000-8000-000000000001","user_id":"2aa2e9a1-a3f5-51f5-be9a-ab173868a057","email":"ada@acme.example","roles":["admin"],"metadata":{},"provisioning_method":"org_creator"}}',
    '{"originator_id":"2aa2e9a1-a3f5-51f5-be9a-ab173868a057","originator_version":1,"topic":"tenantry.domain.membership:User.Registered","state":{"timestamp":"2026-01-01T12:00:00Z","originator_topic":"tenantry.domain.membership:User","actor":"ada@acme.example","reason":null,"email":"ada@acme.example"}}',
]


def test_an_export_of_the_previous_version_imports_and_exports_again_unchanged(
    make_app: MakeApp,
) -> None:
    target = make_app()
    summary = transfer.import_organization(target, transfer.parse_lines(PREVIOUS_VERSION_EXPORT))
    org_id = summary.organization_id
    assert (summary.events, summary.memberships, summary.users) == (4, 1, 1)
    assert summary.keys_claimed == ["external_id=acme"]
    assert target.get_membership(org_id, "ada@acme.example").roles == ["admin"]
    assert target.get_user("ada@acme.example").email == "ada@acme.example"
    assert target.get_organization_by_external_id("acme").id == org_id
    assert _lines(target, org_id) == PREVIOUS_VERSION_EXPORT


def test_users_the_target_already_has_are_kept_and_not_imported_again(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source, target = make_app(), make_app()
    org_id = _seeded(source, clock)
    local = target.create_organization("Elsewhere")
    target.invite_member(local.id, "ada@acme.example")
    summary = transfer.import_organization(target, transfer.parse_lines(_lines(source, org_id)))
    assert (summary.users, summary.users_skipped) == (2, 1)
    assert target.get_membership(org_id, "ada@acme.example").status == "ACTIVE"
    assert target.get_membership(local.id, "ada@acme.example").status == "PENDING_INVITE"


def test_a_malformed_line_is_refused_naming_its_line_number(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source = make_app()
    lines = _lines(source, _seeded(source, clock))
    lines[1] = '{"originator_id": "not-a-uuid"}'
    with pytest.raises(InvalidField) as e:
        transfer.parse_lines(lines)
    assert e.value.field == "line 2"


@pytest.mark.parametrize(
    ("topic", "rule"),
    [
        ("os:system", "is not a tenantry event"),
        ("tenantry.domain.membership:KeyClaim.Claimed", "key claims are not part of an export"),
        ("tenantry.domain.organization:NoSuchEvent", "is not a known tenantry event"),
    ],
)
def test_an_export_naming_a_foreign_event_is_refused_and_records_nothing(
    make_app: MakeApp, clock: FakeClock, topic: str, rule: str
) -> None:
    source, target = make_app(), make_app()
    lines = _lines(source, _seeded(source, clock))
    record = json.loads(lines[-1])
    record["topic"] = topic
    lines[-1] = json.dumps(record)
    with records_nothing(target), pytest.raises(InvalidField) as e:
        transfer.import_organization(target, transfer.parse_lines(lines))
    assert rule in e.value.rule


def test_an_export_with_a_missing_event_is_refused(make_app: MakeApp, clock: FakeClock) -> None:
    source, target = make_app(), make_app()
    lines = _lines(source, _seeded(source, clock))
    del lines[1]  # the org's version 2: its stream now jumps from 1 to 3
    with records_nothing(target), pytest.raises(InvalidField) as e:
        transfer.import_organization(target, transfer.parse_lines(lines))
    assert e.value.field.endswith("originator_version")


def test_an_event_that_does_not_fit_its_schema_is_refused(
    make_app: MakeApp, clock: FakeClock
) -> None:
    source, target = make_app(), make_app()
    lines = _lines(source, _seeded(source, clock))
    record = json.loads(lines[0])
    record["state"]["display_name"] = 42
    lines[0] = json.dumps(record)
    with records_nothing(target), pytest.raises(InvalidField) as e:
        transfer.import_organization(target, transfer.parse_lines(lines))
    assert "does not fit its class" in e.value.rule


def test_an_export_of_two_organizations_is_refused(make_app: MakeApp, clock: FakeClock) -> None:
    source, target = make_app(), make_app()
    first = _lines(source, _seeded(source, clock))
    other = source.create_organization("Other")
    with pytest.raises(InvalidField) as e:
        transfer.import_organization(target, transfer.parse_lines(first + _lines(source, other.id)))
    assert e.value.rule == "must hold exactly one organization, not 2"


def test_an_empty_export_is_refused(make_app: MakeApp) -> None:
    with pytest.raises(InvalidField) as e:
        transfer.import_organization(make_app(), transfer.parse_lines(["", "  "]))
    assert (e.value.field, e.value.rule) == ("export", "is empty")


def test_exporting_an_unknown_organization_is_not_found(make_app: MakeApp) -> None:
    app = make_app()
    missing = ids.encode(ids.ORG, ids.user_uuid("nobody@example.com"))
    with pytest.raises(OrganizationNotFound) as e:
        transfer.export_organization(app, missing)
    assert e.value.organization == missing


def test_a_long_history_is_snapshotted_in_the_target(make_app: MakeApp, clock: FakeClock) -> None:
    source, target = make_app(), make_app()
    org = source.create_organization("Busy")
    for i in range(Tenantry.snapshotting_intervals[Organization] + 1):
        source.update_organization(org.id, display_name=f"Busy {i}")
    transfer.import_organization(target, transfer.parse_lines(_lines(source, org.id)))
    assert target.snapshots is not None
    assert list(target.snapshots.get(ids.decode(ids.ORG, org.id)))
    assert target.get_organization(org.id) == source.get_organization(org.id)
