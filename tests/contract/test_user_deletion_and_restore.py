"""Deleting a user removes their memberships in deleted organizations too, so restoring such an
organization does not bring a deleted user's membership back: on every backend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tenantry.adapters.embedded import Embedded
from tenantry.domain import ids
from tenantry.domain.errors import MembershipNotFound, UserNotFound
from tests.support import FakeClock
from tests.unit.helpers import assert_stored_history_replays, org_uuid, topics

MakeApp = Callable[..., Embedded]
ADA, KEEPER = "ada@acme.example", "keeper@acme.example"


@pytest.fixture
def app(make_app: MakeApp, database_url: str) -> Embedded:
    return make_app(database_url)


@pytest.mark.parametrize("admit", ["add_member", "invite_member"])
def test_a_restored_organization_does_not_bring_back_a_deleted_users_membership(
    app: Embedded, admit: str
) -> None:
    acme = app.create_organization("Acme").id
    app.upsert_user_management_settings(acme, 2)
    app.add_member(acme, KEEPER)
    getattr(app, admit)(acme, ADA)
    app.delete_organization(acme)
    before = app.recorder.max_notification_id() or 0

    deletion = app.delete_user(ADA, actor="admin@acme.example", reason="left")

    assert deletion.removed_from == [acme]
    assert topics(app, before) == [
        "Organization.MemberRemoved",
        "Membership.Removed",
        "User.Deleted",
    ]
    removal = list(app.events.get(ids.membership_uuid(org_uuid(acme), ids.user_uuid(ADA))))[-1]
    assert (removal.actor, removal.reason) == ("admin@acme.example", "left")

    restored = app.restore_organization(acme)

    assert restored.seats_in_use == app.get_seat_usage(acme).seats_in_use == 1
    assert [m.email for m in app.list_members(acme).members] == [KEEPER]
    if admit == "invite_member":  # a withdrawn invitation stays readable, as removed
        assert app.get_membership(acme, ADA).status == "REMOVED"
    else:
        with pytest.raises(MembershipNotFound):
            app.get_membership(acme, ADA)
    with pytest.raises(UserNotFound):
        app.get_user(ADA)
    back = app.add_member(acme, ADA)  # the freed seat takes her back, a user again
    assert app.get_user(back.user_id).email == ADA
    assert app.get_seat_usage(acme).seats_in_use == 2
    assert_stored_history_replays(app, acme)


def test_a_purged_organization_records_nothing_more_when_a_member_is_deleted(
    app: Embedded, clock: FakeClock
) -> None:
    acme = app.create_organization("Acme").id
    app.add_member(acme, ADA)
    app.delete_organization(acme)
    clock.advance(timedelta(days=30))
    assert app.purge_deleted_organizations().organizations_purged == 1
    before = app.recorder.max_notification_id() or 0

    deletion = app.delete_user(ADA)

    assert deletion.removed_from == []
    assert topics(app, before) == ["User.Deleted"]
