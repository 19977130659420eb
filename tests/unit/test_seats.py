"""The seat rule: unset / 0 / n; a seat is an ACTIVE member or a pending invitation that has not
expired at the command's time; every admission respects it; nothing else takes or frees seats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import SeatLimitReached
from tests.support import FakeClock
from tests.unit.helpers import records_nothing, topics

LIFETIME = timedelta(days=15)


def org_with_limit(app: Tenantry, limit: int | None) -> str:
    org = app.create_organization("Acme").id
    if limit is not None:
        app.upsert_user_management_settings(org, limit)
    return org


def seats(app: Tenantry, org: str) -> int:
    return app.get_seat_usage(org).seats_in_use


def assert_seat_limit_reached(
    app: Tenantry, admit: Callable[[], object], limit: int, in_use: int
) -> None:
    with records_nothing(app), pytest.raises(SeatLimitReached) as caught:
        admit()
    assert (caught.value.limit, caught.value.in_use) == (limit, in_use)
    assert caught.value.code == "seat_limit_reached"


@pytest.mark.parametrize("limit", [None, 0], ids=["unset", "zero"])
def test_no_limit_admits_everyone(app: Tenantry, limit: int | None) -> None:
    org = org_with_limit(app, limit)
    for i in range(25):
        app.invite_member(org, f"i{i}@x.io")
        app.add_member(org, f"a{i}@x.io")
    usage = app.get_seat_usage(org)
    assert (usage.seats_in_use, usage.max_allowed_users, usage.seats_free) == (50, limit, None)


def test_a_limit_of_n_admits_n_and_refuses_the_next(app: Tenantry) -> None:
    org = org_with_limit(app, 3)
    app.add_member(org, "a@x.io")
    app.invite_member(org, "b@x.io")
    assert app.get_seat_usage(org).seats_free == 1
    app.invite_member(org, "c@x.io")
    assert app.get_seat_usage(org).seats_free == 0
    assert_seat_limit_reached(app, lambda: app.invite_member(org, "d@x.io"), 3, 3)
    assert_seat_limit_reached(app, lambda: app.add_member(org, "d@x.io"), 3, 3)


def test_an_expired_invitation_frees_its_seat_without_any_sweep(
    app: Tenantry, clock: FakeClock
) -> None:
    org = org_with_limit(app, 1)
    app.invite_member(org, "b@x.io")
    clock.advance(LIFETIME - timedelta(microseconds=1))
    assert_seat_limit_reached(app, lambda: app.invite_member(org, "c@x.io"), 1, 1)
    clock.advance(timedelta(microseconds=1))  # exactly at expiry: expired
    assert seats(app, org) == 0
    assert app.get_membership(org, "b@x.io").status == "INVITE_EXPIRED"
    before = app.recorder.max_notification_id() or 0
    app.invite_member(org, "c@x.io")
    assert "Organization.InvitationExpired" not in topics(app)
    assert topics(app, before).count("Organization.MemberInvited") == 1
    assert seats(app, org) == 1


def test_seat_usage_can_be_read_at_a_given_moment(app: Tenantry, clock: FakeClock) -> None:
    org = org_with_limit(app, 2)
    invited = app.invite_member(org, "b@x.io")
    assert invited.expires_at is not None
    at_expiry = app.get_seat_usage(org, at=invited.expires_at)
    assert (at_expiry.pending_invitations, at_expiry.seats_free) == (0, 2)
    assert app.get_seat_usage(org).pending_invitations == 1


def test_a_limit_below_the_count_removes_no_one_and_refuses_every_admission(
    app: Tenantry, clock: FakeClock
) -> None:
    org = org_with_limit(app, 0)
    app.add_member(org, "a1@x.io")
    app.add_member(org, "a2@x.io")
    app.add_member(org, "sleeper@x.io")
    app.deactivate_member(org, "sleeper@x.io")
    app.invite_member(org, "late@x.io", expires_in=timedelta(days=1))
    app.invite_member(org, "p@x.io")
    clock.advance(timedelta(days=2))  # late@'s invitation has expired
    assert seats(app, org) == 3
    assert app.upsert_user_management_settings(org, 1).max_allowed_users == 1
    assert seats(app, org) == 3
    assert app.get_membership(org, "a1@x.io").status == "ACTIVE"
    assert app.get_membership(org, "p@x.io").status == "PENDING_INVITE"
    for admit in (
        lambda: app.invite_member(org, "new@x.io"),
        lambda: app.add_member(org, "new@x.io", provisioning_method="jit_using_sso"),
        lambda: app.reactivate_member(org, "sleeper@x.io"),
        lambda: app.resend_invitation(org, "late@x.io"),
        lambda: app.invite_member(org, "late@x.io"),
    ):
        assert_seat_limit_reached(app, admit, 1, 3)
    # Seats free up below the limit: admissions resume.
    app.remove_member(org, "a1@x.io")
    app.deactivate_member(org, "a2@x.io")
    app.revoke_invitation(org, "p@x.io")
    assert seats(app, org) == 0
    app.reactivate_member(org, "sleeper@x.io")
    assert_seat_limit_reached(app, lambda: app.invite_member(org, "new@x.io"), 1, 1)


def test_accepting_a_valid_invitation_takes_no_new_seat(app: Tenantry) -> None:
    org = org_with_limit(app, 2)
    app.invite_member(org, "a@x.io")
    app.invite_member(org, "b@x.io")
    assert app.accept_invitation(org, "a@x.io").status == "ACTIVE"
    usage = app.get_seat_usage(org)
    assert (usage.active_members, usage.pending_invitations, usage.seats_in_use) == (1, 1, 2)
    assert app.accept_invitation(org, "b@x.io").status == "ACTIVE"
    assert seats(app, org) == 2


def test_accepting_is_allowed_even_when_the_limit_was_lowered_below_the_count(
    app: Tenantry,
) -> None:
    org = org_with_limit(app, 2)
    app.invite_member(org, "a@x.io")
    app.invite_member(org, "b@x.io")
    app.upsert_user_management_settings(org, 1)
    assert app.accept_invitation(org, "a@x.io").status == "ACTIVE"
    assert seats(app, org) == 2


def test_resending_a_pending_invitation_extends_it_and_keeps_its_seat(
    app: Tenantry, clock: FakeClock
) -> None:
    org = org_with_limit(app, 1)
    first = app.invite_member(org, "b@x.io")
    clock.advance(timedelta(days=10))
    resent = app.resend_invitation(org, "b@x.io")
    assert first.invitation is not None
    assert resent.invitation is not None
    assert resent.invitation.id == first.invitation.id
    assert resent.expires_at == clock() + LIFETIME
    assert (resent.invitation.resent_count, resent.invitation.resent_at) == (1, clock())
    assert seats(app, org) == 1
    clock.advance(timedelta(days=10))  # past the first expiry, before the extended one
    assert seats(app, org) == 1
    assert app.accept_invitation(org, "b@x.io").status == "ACTIVE"


def test_resending_an_expired_invitation_issues_a_new_one_that_needs_a_free_seat(
    app: Tenantry, clock: FakeClock
) -> None:
    org = org_with_limit(app, 1)
    first = app.invite_member(org, "b@x.io")
    clock.advance(LIFETIME + timedelta(hours=1))
    app.invite_member(org, "c@x.io")
    assert_seat_limit_reached(app, lambda: app.resend_invitation(org, "b@x.io"), 1, 1)
    app.revoke_invitation(org, "c@x.io")
    before = app.recorder.max_notification_id() or 0
    resent = app.resend_invitation(org, "b@x.io")
    assert first.invitation is not None
    assert resent.invitation is not None
    assert resent.invitation.id != first.invitation.id
    assert (resent.status, resent.invitation.status) == ("PENDING_INVITE", "pending")
    assert resent.expires_at == clock() + LIFETIME
    # The expiry nobody swept is recorded first, then the new invitation.
    assert topics(app, before) == [
        "Organization.InvitationExpired",
        "Organization.MemberInvited",
        "Membership.InvitationExpired",
        "Membership.Reinvited",
    ]
    assert seats(app, org) == 1


def test_the_expiry_sweep_records_on_both_aggregates_and_changes_no_seat_count(
    app: Tenantry, clock: FakeClock
) -> None:
    org = org_with_limit(app, 5)
    app.invite_member(org, "short@x.io", expires_in=timedelta(days=1))
    app.invite_member(org, "long@x.io")
    app.add_member(org, "a@x.io")
    clock.advance(timedelta(days=2))
    usage_before = app.get_seat_usage(org)
    before = app.recorder.max_notification_id() or 0
    sweep = app.expire_invitations(org)
    assert (sweep.organizations_checked, sweep.invitations_expired) == (1, 1)
    assert sorted(topics(app, before)) == [
        "Membership.InvitationExpired",
        "Organization.InvitationExpired",
    ]
    assert app.get_seat_usage(org) == usage_before
    assert usage_before.seats_in_use == 2
    expired = app.get_membership(org, "short@x.io")
    assert expired.status == "INVITE_EXPIRED"
    assert expired.invitation is not None
    assert expired.invitation.status == "expired"
    with records_nothing(app):
        assert app.expire_invitations(org).invitations_expired == 0


def test_the_sweep_of_all_organizations_works_in_batches(app: Tenantry, clock: FakeClock) -> None:
    orgs = [org_with_limit(app, None) for _ in range(3)]
    for org in orgs:
        for i in range(5):
            app.invite_member(org, f"u{i}@x.io", expires_in=timedelta(hours=1))
    app.invite_member(orgs[0], "later@x.io")
    clock.advance(timedelta(hours=1))
    progress: list[int] = []
    sweep = app.expire_invitations(batch_size=2, progress=progress.append)
    assert (sweep.organizations_checked, sweep.invitations_expired) == (3, 15)
    assert sum(progress) == 15
    assert topics(app).count("Organization.InvitationExpired") == 15
    assert app.get_membership(orgs[0], "later@x.io").status == "PENDING_INVITE"


def test_deactivating_removing_and_revoking_free_seats(app: Tenantry) -> None:
    org = org_with_limit(app, 3)
    app.add_member(org, "a@x.io")
    app.add_member(org, "b@x.io")
    app.invite_member(org, "c@x.io")
    app.deactivate_member(org, "a@x.io")
    app.remove_member(org, "b@x.io")
    app.revoke_invitation(org, "c@x.io")
    assert seats(app, org) == 0
    app.remove_member(org, "a@x.io")  # removing an inactive member frees nothing more
    assert seats(app, org) == 0
    for email in ("d@x.io", "e@x.io", "f@x.io"):
        app.invite_member(org, email)
    assert_seat_limit_reached(app, lambda: app.invite_member(org, "g@x.io"), 3, 3)


def test_an_organization_shows_its_limit_and_the_seats_in_use_when_it_is_read(
    app: Tenantry, clock: FakeClock
) -> None:
    created = app.create_organization("Acme")
    assert (created.max_allowed_users, created.seats_in_use) == (None, 0)
    org = created.id
    app.upsert_user_management_settings(org, 3)
    app.add_member(org, "a@x.io")
    app.invite_member(org, "b@x.io", expires_in=timedelta(hours=1))
    renamed = app.update_organization(org, display_name="Acme 2")
    assert (renamed.max_allowed_users, renamed.seats_in_use) == (3, 2)
    clock.advance(timedelta(hours=1))  # the invitation has expired: its seat is free
    now = app.get_organization(org)
    assert (now.max_allowed_users, now.seats_in_use) == (3, seats(app, org)) == (3, 1)
    before_expiry = app.get_organization_as_of(org, version=now.version)
    assert before_expiry.seats_in_use == 2  # counted at the time of that version
    assert app.get_organization_as_of(org, at=clock()).seats_in_use == 1


def test_a_new_organization_shows_its_founder_s_seat(app: Tenantry) -> None:
    signed_up = app.sign_up("founder@x.io", "Acme", external_id="acme").organization
    assert (signed_up.max_allowed_users, signed_up.seats_in_use) == (None, 1)
    assert app.get_organization_by_external_id("acme") == signed_up
