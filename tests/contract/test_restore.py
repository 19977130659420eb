"""Restoring a deleted organization within the restore period, and the purge after it: on every
backend (in memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tenantry.adapters.embedded import Embedded
from tenantry.domain.errors import OrganizationNotFound, SlugTaken
from tenantry.domain.organization import Organization
from tenantry.domain.policies import ApplicationPolicy
from tenantry.domain.restore_errors import (
    OrganizationNotDeleted,
    PurgeNotDue,
    RestoreKeyTaken,
    RestorePeriodOver,
)
from tests.support import FakeClock
from tests.unit.helpers import org_uuid, records_nothing, topics

MakeApp = Callable[..., Embedded]


@pytest.fixture
def app(make_app: MakeApp, database_url: str) -> Embedded:
    return make_app(database_url)


def test_a_restored_organization_comes_back_with_its_members_settings_and_keys(
    app: Embedded,
) -> None:
    org = app.create_organization("Acme", external_id="acme", slug="acme", metadata={"k1x": "v"})
    app.update_organization_settings(org.id, {"sso": True})
    app.upsert_user_management_settings(org.id, 5)
    app.add_member(org.id, "ada@x.io")
    app.invite_member(org.id, "bob@x.io")
    app.delete_organization(org.id)
    assert app.list_organizations().total_size == 0

    restored = app.restore_organization(org.id, actor="ops@x.io", reason="asked back")

    assert (restored.external_id, restored.slug, restored.metadata) == (
        "acme",
        "acme",
        {"k1x": "v"},
    )
    assert restored.settings.features[0].model_dump() == {"name": "sso", "enabled": True}
    assert (restored.max_allowed_users, restored.seats_in_use) == (5, 2)
    assert app.get_organization_by_external_id("acme").id == org.id
    assert {m.email for m in app.list_members(org.id).members} == {"ada@x.io", "bob@x.io"}
    assert [o.id for o in app.list_organizations().organizations] == [org.id]
    assert app.get_seat_usage(org.id).seats_in_use == 2
    entry = app.list_history(org.id)[-1]
    assert (entry.event, entry.actor, entry.reason) == ("Restored", "ops@x.io", "asked back")


def test_a_key_taken_meanwhile_refuses_the_restore_naming_the_field(app: Embedded) -> None:
    org = app.create_organization("Acme", external_id="acme", slug="acme")
    app.delete_organization(org.id)
    app.create_organization("Other", slug="acme")

    with records_nothing(app), pytest.raises(RestoreKeyTaken) as refused:
        app.restore_organization(org.id)
    assert (refused.value.field, refused.value.key) == ("slug", "acme")
    assert refused.value.code == "restore_key_taken"
    with pytest.raises(OrganizationNotFound):
        app.get_organization(org.id)


def test_restore_may_release_the_keys_taken_meanwhile(app: Embedded) -> None:
    org = app.create_organization("Acme", external_id="acme", slug="acme")
    app.delete_organization(org.id)
    app.create_organization("Other", slug="acme")

    restored = app.restore_organization(org.id, release_taken_keys=True)

    assert (restored.external_id, restored.slug) == ("acme", None)
    with pytest.raises(SlugTaken):
        app.update_organization(org.id, slug="acme")
    assert app.search_organizations("acme").organizations[0].id in {org.id}


def test_restoring_a_live_organization_is_refused(app: Embedded) -> None:
    org = app.create_organization("Acme")
    with records_nothing(app), pytest.raises(OrganizationNotDeleted):
        app.restore_organization(org.id)
    with pytest.raises(OrganizationNotFound):
        app.restore_organization("org_00000000000000000000000000")


def test_after_the_restore_period_restore_is_refused_and_the_sweep_records_a_purge(
    app: Embedded, clock: FakeClock
) -> None:
    org = app.create_organization("Acme", external_id="acme")
    app.delete_organization(org.id)
    deleted_at = clock()
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    assert app.get_restore_deadline(org.id) == deleted_at + timedelta(days=30)
    assert app.purge_deleted_organizations().organizations_purged == 0
    clock.advance(timedelta(seconds=1))

    with records_nothing(app), pytest.raises(RestorePeriodOver) as refused:
        app.restore_organization(org.id)
    assert refused.value.purge_at == deleted_at + timedelta(days=30)

    sweep = app.purge_deleted_organizations()
    assert (sweep.organizations_checked, sweep.organizations_purged) == (1, 1)
    assert app.purge_deleted_organizations().organizations_purged == 0  # once
    assert topics(app)[-1] == "Organization.Purged"
    with pytest.raises(RestorePeriodOver):
        app.restore_organization(org.id)


def test_the_restore_period_is_the_applications_setting(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = make_app("memory://", policy=ApplicationPolicy(restore_period=timedelta(days=1)))
    org = app.create_organization("Acme")
    app.delete_organization(org.id)
    clock.advance(timedelta(hours=23))
    app.restore_organization(org.id)
    app.delete_organization(org.id)
    clock.advance(timedelta(days=1))
    with pytest.raises(RestorePeriodOver):
        app.restore_organization(org.id)


def test_a_purge_before_the_period_is_over_is_refused(app: Embedded) -> None:
    org = app.create_organization("Acme")
    app.delete_organization(org.id)
    aggregate = app.repository.get(org_uuid(org.id))
    assert isinstance(aggregate, Organization)
    with pytest.raises(PurgeNotDue):
        aggregate.purge(app.clock(), "ops", app.policy.restore_period)


def test_a_restore_survives_a_replay_from_the_log(make_app: MakeApp, database_url: str) -> None:
    if database_url.startswith("memory:"):
        pytest.skip("an in-memory store lives and dies with its application")
    first = make_app(database_url)
    org = first.create_organization("Acme", slug="acme")
    first.delete_organization(org.id)
    first.restore_organization(org.id)
    again = make_app(database_url)
    assert again.get_organization(org.id).slug == "acme"
    assert [o.id for o in again.list_organizations().organizations] == [org.id]


def test_deleted_organizations_are_listed_until_their_restore_period_is_over(
    app: Embedded, clock: FakeClock
) -> None:
    first = app.create_organization("First", slug="first")
    second = app.create_organization("Second")
    app.create_organization("Live")
    app.delete_organization(first.id)
    first_deleted = clock()
    clock.advance(timedelta(days=10))
    app.delete_organization(second.id)

    listed = app.list_deleted_organizations()

    assert [(d.organization.id, d.organization.slug) for d in listed] == [
        (first.id, "first"),
        (second.id, None),
    ]
    assert (listed[0].deleted_at, listed[0].restore_deadline) == (
        first_deleted,
        first_deleted + timedelta(days=30),
    )
    clock.advance(timedelta(days=20))  # the first one's period is over
    assert [d.organization.id for d in app.list_deleted_organizations()] == [second.id]
    app.restore_organization(second.id)
    assert app.list_deleted_organizations() == []
