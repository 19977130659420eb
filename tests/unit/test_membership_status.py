"""``set_membership_status``: the status an admin sets (ACTIVE or INACTIVE), run as the transition
that leads there, or nothing when the membership has that status already."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tenantry.application.app import Tenantry
from tenantry.domain.errors import (
    InvalidField,
    InvitationHasExpired,
    MemberNotActive,
    MembershipNotFound,
    SeatLimitReached,
)
from tests.support import FakeClock
from tests.unit.helpers import last_notification_id, records_nothing, stored, topics


def org_with(app: Tenantry, *, active: str | None = None, invited: str | None = None) -> str:
    org = app.create_organization("Acme").id
    if active is not None:
        app.add_member(org, active)
    if invited is not None:
        app.invite_member(org, invited, expires_in=timedelta(days=1))
    return org


def test_inactive_deactivates_an_active_member(app: Tenantry) -> None:
    org = org_with(app, active="ann@acme.example")
    before = last_notification_id(app)
    m = app.set_membership_status(org, "ann@acme.example", "INACTIVE", reason="on leave")
    assert m.status == "INACTIVE"
    assert topics(app, before) == ["Organization.MemberDeactivated", "Membership.Deactivated"]
    assert {(s["actor"], s["reason"]) for _, _, s in stored(app, before)} == {
        ("system", "on leave")
    }
    assert app.get_seat_usage(org).seats_in_use == 0


def test_active_reactivates_an_inactive_member(app: Tenantry) -> None:
    org = org_with(app, active="ann@acme.example")
    app.deactivate_member(org, "ann@acme.example")
    before = last_notification_id(app)
    m = app.set_membership_status(org, "ann@acme.example", "ACTIVE", actor="admin@acme.example")
    assert m.status == "ACTIVE"
    assert topics(app, before) == ["Organization.MemberReactivated", "Membership.Reactivated"]
    assert {s["actor"] for _, _, s in stored(app, before)} == {"admin@acme.example"}


def test_active_accepts_a_pending_invitation_in_the_members_name(app: Tenantry) -> None:
    org = org_with(app, invited="bob@acme.example")
    before = last_notification_id(app)
    m = app.set_membership_status(org, "bob@acme.example", "ACTIVE")
    assert (m.status, m.invitation and m.invitation.status) == ("ACTIVE", "accepted")
    assert topics(app, before) == [
        "Organization.InvitationAccepted",
        "Membership.InvitationAccepted",
    ]
    assert {s["actor"] for _, _, s in stored(app, before)} == {"bob@acme.example"}


@pytest.mark.parametrize("status", ["ACTIVE", "INACTIVE"])
def test_a_membership_that_has_the_status_already_is_left_as_it_is(
    app: Tenantry, status: str
) -> None:
    org = org_with(app, active="ann@acme.example")
    if status == "INACTIVE":
        app.deactivate_member(org, "ann@acme.example")
    with records_nothing(app):
        m = app.set_membership_status(org, "ann@acme.example", status)
    assert m == app.get_membership(org, "ann@acme.example")
    assert m.status == status


def test_inactive_is_refused_for_a_pending_invitation(app: Tenantry) -> None:
    org = org_with(app, invited="bob@acme.example")
    with records_nothing(app), pytest.raises(MemberNotActive) as e:
        app.set_membership_status(org, "bob@acme.example", "INACTIVE")
    assert e.value.status == "PENDING_INVITE"


def test_active_is_refused_for_an_expired_invitation(app: Tenantry, clock: FakeClock) -> None:
    org = org_with(app, invited="bob@acme.example")
    clock.advance(timedelta(days=2))
    with records_nothing(app), pytest.raises(InvitationHasExpired):
        app.set_membership_status(org, "bob@acme.example", "ACTIVE")


def test_active_is_refused_for_a_revoked_invitation(app: Tenantry) -> None:
    org = org_with(app, invited="bob@acme.example")
    app.revoke_invitation(org, "bob@acme.example")
    with records_nothing(app), pytest.raises(MembershipNotFound):
        app.set_membership_status(org, "bob@acme.example", "ACTIVE")


def test_a_removed_member_is_not_found(app: Tenantry) -> None:
    org = org_with(app, active="ann@acme.example")
    app.remove_member(org, "ann@acme.example")
    with records_nothing(app), pytest.raises(MembershipNotFound):
        app.set_membership_status(org, "ann@acme.example", "INACTIVE")


def test_reactivation_needs_a_free_seat(app: Tenantry) -> None:
    org = org_with(app, active="ann@acme.example")
    app.deactivate_member(org, "ann@acme.example")
    app.add_member(org, "cy@acme.example")
    app.upsert_user_management_settings(org, 1)
    with records_nothing(app), pytest.raises(SeatLimitReached):
        app.set_membership_status(org, "ann@acme.example", "ACTIVE")


@pytest.mark.parametrize("status", ["PENDING_INVITE", "INVITE_EXPIRED", "active", ""])
def test_a_status_other_than_active_or_inactive_is_refused(app: Tenantry, status: str) -> None:
    org = org_with(app, active="ann@acme.example")
    with records_nothing(app), pytest.raises(InvalidField) as e:
        app.set_membership_status(org, "ann@acme.example", status)
    assert e.value.field == "status"
