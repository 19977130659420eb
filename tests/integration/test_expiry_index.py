"""The expiry sweep over the seats read model's index of pending invitations: it expires
exactly the invitations that are due, reads nothing else, and still checks each one against
its aggregates (the index may be behind the log or name one that changed meanwhile)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from uuid import UUID

import pytest

import tenantry
from tenantry.adapters.database import database_of
from tenantry.adapters.expiry_schedule import ExpirySchedule
from tenantry.adapters.projections import ProjectionStore
from tenantry.adapters.projections.due_invitations import PendingInvitationIndex
from tenantry.application.app import Tenantry
from tenantry.application.expiry import DueInvitation
from tenantry.domain import ids
from tests.support import FakeClock

DAY = timedelta(days=1)


def _expired_users(app: Tenantry, org_id: str) -> list[str]:
    """The users whose InvitationExpired the organization's history records, in order."""
    return [
        str(h.data["user_id"]) for h in app.list_history(org_id) if h.event == "InvitationExpired"
    ]


def _user(app: Tenantry, org_id: str, email: str) -> str:
    return app.get_membership(org_id, email).user_id


def test_the_indexed_sweep_expires_exactly_the_due_invitations(
    database_url: str, clock: FakeClock
) -> None:
    app = tenantry.connect(database_url, clock=clock)
    index = PendingInvitationIndex(ProjectionStore(app))
    acme = app.create_organization("Acme").id
    gone = app.create_organization("Gone").id
    for email in ("due@a.example", "resent@a.example", "accepted@a.example", "revoked@a.example"):
        app.invite_member(acme, email)
    app.invite_member(gone, "left@g.example")
    clock.advance(DAY)
    app.invite_member(acme, "late@a.example")  # due a day after the others
    app.accept_invitation(acme, "accepted@a.example")
    app.revoke_invitation(acme, "revoked@a.example")
    app.resend_invitation(acme, "resent@a.example")  # a new expiry, a day later
    app.delete_organization(gone)
    clock.advance(timedelta(days=14, hours=1))  # 15 days after the first invitations

    swept = app.expire_invitations(index=index)

    assert (swept.organizations_checked, swept.invitations_expired) == (1, 1)
    assert _expired_users(app, acme) == [_user(app, acme, "due@a.example")]
    # Nothing due is left behind: the sweep that reads every history finds nothing more.
    assert app.expire_invitations().invitations_expired == 0
    clock.advance(DAY)
    assert app.expire_invitations(index=index).invitations_expired == 2  # late, resent
    assert app.expire_invitations().invitations_expired == 0


def test_pages_of_one_expire_every_due_invitation_once(database_url: str, clock: FakeClock) -> None:
    app = tenantry.connect(database_url, clock=clock)
    index = PendingInvitationIndex(ProjectionStore(app))
    orgs = [app.create_organization(f"Org {i}").id for i in range(3)]
    for i, org in enumerate(orgs):  # equal expiry times across organizations: keys break ties
        for n in range(3):
            app.invite_member(org, f"u{n}@org{i}.example")
    clock.advance(timedelta(days=16))
    done: list[int] = []

    swept = app.expire_invitations(index=index, batch_size=1, progress=done.append)

    assert (swept.organizations_checked, swept.invitations_expired) == (3, 9)
    assert done == [1] * 9
    assert all(len(_expired_users(app, org)) == 3 for org in orgs)
    one = app.create_organization("One").id
    app.invite_member(one, "x@one.example")
    clock.advance(timedelta(days=16))
    only = app.expire_invitations(one, index=index)
    assert (only.organizations_checked, only.invitations_expired) == (1, 1)


class _Named:
    """An index that names whatever it is given, as a stale or wrong one might."""

    def __init__(self, named: Sequence[DueInvitation]) -> None:
        self.named = named

    def due(
        self, now: datetime, *, page_size: int, organization_id: UUID | None
    ) -> Iterator[Sequence[DueInvitation]]:
        yield self.named


def test_the_sweep_expires_only_what_the_aggregates_say_is_due(
    database_url: str, clock: FakeClock
) -> None:
    app = tenantry.connect(database_url, clock=clock)
    org = app.create_organization("Acme").id
    for email in ("due@a.example", "accepted@a.example", "young@a.example"):
        app.invite_member(org, email)
    app.accept_invitation(org, "accepted@a.example")
    clock.advance(timedelta(days=14))
    app.resend_invitation(org, "young@a.example")
    clock.advance(timedelta(days=1, hours=1))
    org_uuid = ids.decode(ids.ORG, org)
    named = [
        DueInvitation(org_uuid, ids.decode(ids.USER, _user(app, org, email)))
        for email in ("accepted@a.example", "young@a.example", "due@a.example")
    ]
    named.append(DueInvitation(org_uuid, ids.user_uuid("never@a.example")))
    named.append(DueInvitation(ids.new_id(), ids.user_uuid("due@a.example")))

    swept = app.expire_invitations(index=_Named(named))

    assert swept.invitations_expired == 1
    assert _expired_users(app, org) == [_user(app, org, "due@a.example")]
    # Named again (the index has not caught up with the expiry): nothing more is recorded.
    assert app.expire_invitations(index=_Named(named)).invitations_expired == 0


def test_sweeps_of_several_processes_at_once_expire_each_invitation_once(
    database_url: str, clock: FakeClock
) -> None:
    if database_url.startswith("memory"):
        pytest.skip("processes share a database only on SQLite and PostgreSQL")
    apps = [tenantry.connect(database_url, clock=clock) for _ in range(3)]
    indexes = [PendingInvitationIndex(ProjectionStore(a)) for a in apps]
    org = apps[0].create_organization("Acme").id
    for n in range(20):
        apps[0].invite_member(org, f"u{n}@a.example")
    clock.advance(timedelta(days=16))
    counts: list[int] = []
    barrier = threading.Barrier(len(apps))

    def sweep(app: Tenantry, index: PendingInvitationIndex) -> None:
        barrier.wait()
        counts.append(app.expire_invitations(index=index, batch_size=5).invitations_expired)

    pairs = zip(apps, indexes, strict=True)
    threads = [threading.Thread(target=sweep, args=pair) for pair in pairs]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    assert sum(counts) == 20
    assert sorted(_expired_users(apps[0], org)) == sorted(
        _user(apps[0], org, f"u{n}@a.example") for n in range(20)
    )


def test_the_schedule_sweeps_through_its_index(database_url: str, clock: FakeClock) -> None:
    if database_url.startswith("memory"):
        pytest.skip("the schedule's table lives beside the events")
    app = tenantry.connect(database_url, clock=clock)
    index = PendingInvitationIndex(ProjectionStore(app))
    schedule = ExpirySchedule(app, database_of(app).adapters_engine(), index=index)
    org = app.create_organization("Acme").id
    app.invite_member(org, "ada@a.example")
    clock.advance(timedelta(days=16))

    assert schedule.run_if_due()
    assert schedule.last_run().expired == 1
    assert _expired_users(app, org) == [_user(app, org, "ada@a.example")]
