"""One behaviour suite, run against every backend: in memory, a SQLite file, PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tenantry.application.app import Tenantry
from tenantry.application.dto import Membership, Organization
from tenantry.domain.errors import (
    ExternalIdTaken,
    InvitationHasExpired,
    InvitationWasRevoked,
    NothingChanged,
    OrganizationNotFound,
    SeatLimitReached,
    SlugTaken,
    VersionNotFound,
)
from tests.support import FakeClock
from tests.unit.helpers import org_uuid, records_nothing, topics

MakeApp = Callable[..., Tenantry]
LIFETIME = timedelta(days=15)
MEMBERS = ("active@x.io", "pending@x.io", "expired@x.io", "inactive@x.io")


@pytest.fixture
def app(make_app: MakeApp, database_url: str) -> Tenantry:
    return make_app(database_url)


def reopen(make_app: MakeApp, database_url: str) -> Tenantry:
    """A fresh application on the same store, sharing nothing in memory with the first."""
    if database_url.startswith("memory:"):
        pytest.skip("an in-memory store lives and dies with its application")
    return make_app(database_url)


def test_an_organization_is_created_read_updated_and_deleted(app: Tenantry) -> None:
    org = app.create_organization(
        "Acme",
        external_id="acme",
        slug="acme",
        metadata={"tier": "gold"},
        logo_url="https://cdn.acme.io/l.png",
        region_code="EU",
    )
    assert org.id.startswith("org_")
    assert len(org.id) <= 32
    assert app.get_organization(org.id) == org
    assert app.get_organization_by_external_id("acme") == org
    updated = app.update_organization(org.id, display_name="Acme Corp", slug="acme-corp")
    assert (updated.display_name, updated.slug, updated.version) == ("Acme Corp", "acme-corp", 3)
    assert updated.create_time == org.create_time
    assert app.get_organization(org.id) == updated
    with records_nothing(app), pytest.raises(NothingChanged):
        app.update_organization(org.id, display_name="Acme Corp")
    app.delete_organization(org.id)
    with pytest.raises(OrganizationNotFound):
        app.get_organization(org.id)
    with pytest.raises(OrganizationNotFound):
        app.get_organization_by_external_id("acme")


def test_keys_are_unique_among_live_organizations_and_released_on_delete(app: Tenantry) -> None:
    first = app.create_organization("Acme", external_id="acme", slug="acme")
    with records_nothing(app), pytest.raises(ExternalIdTaken):
        app.create_organization("Other", external_id="acme")
    with records_nothing(app), pytest.raises(SlugTaken):
        app.create_organization("Other", slug="acme")
    app.delete_organization(first.id)
    second = app.create_organization("Acme again", external_id="acme", slug="acme")
    assert app.get_organization_by_external_id("acme").id == second.id


def test_settings_and_policies_are_stored(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    features = app.update_organization_settings(org, {"sso": True, "dir_sync": True})
    assert {f.name for f in features.settings.features if f.enabled} == {"sso", "dir_sync"}
    app.upsert_user_management_settings(org, 7)
    app.update_session_policy(
        org,
        {
            "policy_source": "CUSTOM",
            "absolute_session_timeout": 2,
            "absolute_session_timeout_unit": "DAYS",
        },
    )
    app.set_allowed_sign_in_methods(org, ["sso", "magic_link"])
    stored = app.get_organization(org)
    assert (stored.settings, stored.version) == (features.settings, 6)
    assert app.get_user_management_settings(org).max_allowed_users == 7
    assert app.get_session_policy(org).absolute_session_timeout == 2
    assert app.get_allowed_sign_in_methods(org).allowed_sign_in_methods == ["magic_link", "sso"]


def test_the_seat_limit_holds_for_every_admission(app: Tenantry, clock: FakeClock) -> None:
    org = app.create_organization("Acme").id
    app.upsert_user_management_settings(org, 2)
    app.add_member(org, "a@x.io")
    app.invite_member(org, "b@x.io")
    admissions: list[Callable[[], object]] = [
        lambda: app.invite_member(org, "c@x.io"),
        lambda: app.add_member(org, "c@x.io", provisioning_method="jit_using_sso"),
    ]
    for admit in admissions:
        with records_nothing(app), pytest.raises(SeatLimitReached) as caught:
            admit()
        assert (caught.value.limit, caught.value.in_use) == (2, 2)
    clock.advance(LIFETIME)
    assert app.get_seat_usage(org).seats_in_use == 1
    app.add_member(org, "c@x.io")
    with records_nothing(app), pytest.raises(SeatLimitReached):
        app.resend_invitation(org, "b@x.io")
    app.deactivate_member(org, "a@x.io")
    assert app.resend_invitation(org, "b@x.io").status == "PENDING_INVITE"
    with records_nothing(app), pytest.raises(SeatLimitReached):
        app.reactivate_member(org, "a@x.io")


def test_the_invitation_lifecycle(app: Tenantry, clock: FakeClock) -> None:
    org = app.create_organization("Acme").id
    invited = app.invite_member(org, "bob@x.io", roles=["admin"], inviter_email="ops@x.io")
    assert (invited.status, invited.inviter_email, invited.roles) == (
        "PENDING_INVITE",
        "ops@x.io",
        ["admin"],
    )
    clock.advance(timedelta(days=14))
    resent = app.resend_invitation(org, "bob@x.io")
    assert resent.expires_at == clock() + LIFETIME
    accepted = app.accept_invitation(org, invited.user_id)
    assert (accepted.status, accepted.accepted_at) == ("ACTIVE", clock())

    app.invite_member(org, "carol@x.io")
    app.revoke_invitation(org, "carol@x.io")
    with records_nothing(app), pytest.raises(InvitationWasRevoked):
        app.accept_invitation(org, "carol@x.io")

    app.invite_member(org, "dave@x.io")
    clock.advance(LIFETIME)
    assert app.get_membership(org, "dave@x.io").status == "INVITE_EXPIRED"
    sweep = app.expire_invitations(org)
    assert sweep.invitations_expired == 1
    with records_nothing(app), pytest.raises(InvitationHasExpired):
        app.accept_invitation(org, "dave@x.io")
    assert topics(app).count("Organization.InvitationExpired") == 1


def test_history_and_as_of(app: Tenantry, clock: FakeClock) -> None:
    start = clock()
    org = app.create_organization("Acme", actor="ops@acme.io").id
    clock.advance(timedelta(hours=1))
    app.update_organization(org, display_name="Acme Corp", actor="ceo@acme.io", reason="rebrand")
    history = app.list_history(org)
    assert [(h.event, h.actor, h.reason) for h in history] == [
        ("Created", "ops@acme.io", None),
        ("Renamed", "ceo@acme.io", "rebrand"),
    ]
    assert history[1].timestamp == start + timedelta(hours=1)
    assert [(c.field, c.before, c.after) for c in history[1].changes] == [
        ("display_name", "Acme", "Acme Corp")
    ]
    assert app.get_organization_as_of(org, version=1).display_name == "Acme"
    assert app.get_organization_as_of(org, at=start + timedelta(minutes=30)).version == 1
    with pytest.raises(VersionNotFound):
        app.get_organization_as_of(org, at=start - timedelta(seconds=1))


def populate(app: Tenantry, clock: FakeClock) -> str:
    org = app.sign_up(
        "founder@acme.io", "Acme", external_id="acme", slug="acme", metadata={"tier": "gold"}
    ).organization.id
    app.update_organization_settings(org, {"sso": True})
    app.upsert_user_management_settings(org, 10)
    app.add_member(org, "active@x.io", roles=["admin", "member"], metadata={"team": "core"})
    app.invite_member(org, "pending@x.io")
    app.invite_member(org, "expired@x.io", expires_in=timedelta(days=1))
    app.add_member(org, "inactive@x.io")
    app.deactivate_member(org, "inactive@x.io")
    clock.advance(timedelta(days=2))
    return org


def snapshot_of(app: Tenantry, org: str) -> tuple[Organization, list[Membership], object, object]:
    return (
        app.get_organization(org),
        [app.get_membership(org, email) for email in MEMBERS],
        app.get_seat_usage(org),
        app.list_history(org),
    )


def test_a_fresh_connection_reads_back_identical_data(
    app: Tenantry, make_app: MakeApp, database_url: str, clock: FakeClock
) -> None:
    org = populate(app, clock)
    before = snapshot_of(app, org)
    again = reopen(make_app, database_url)
    assert snapshot_of(again, org) == before
    assert again.get_organization_by_external_id("acme") == before[0]
    assert again.get_organization_as_of(org, version=1) == app.get_organization_as_of(
        org, version=1
    )
    # The reopened application keeps enforcing what the first one recorded.
    with pytest.raises(ExternalIdTaken):
        again.create_organization("Other", external_id="acme")


def test_a_long_history_is_snapshotted_and_reloads_identically(
    app: Tenantry, make_app: MakeApp, database_url: str, clock: FakeClock
) -> None:
    org = populate(app, clock)
    for i in range(65):
        clock.advance(timedelta(minutes=1))
        app.update_organization(org, display_name=f"Acme {i}")
        app.update_organization(org, metadata={"tier": "gold", "round": str(i)})
    app.invite_member(org, "late@x.io")
    live = app.get_organization(org)
    assert live.version > 120
    snapshots = list(app.snapshots.get(org_uuid(org))) if app.snapshots else []
    assert [s.originator_version for s in snapshots] == [50, 100]
    before = snapshot_of(app, org)
    again = reopen(make_app, database_url)
    assert snapshot_of(again, org) == before
    assert again.get_organization_as_of(org, version=99) == app.get_organization_as_of(
        org, version=99
    )
    assert again.get_seat_usage(org).seats_in_use == 4  # founder, active, pending, late
