"""Seat usage over time: one point per change of the seats in use or of the limit, a point when
a pending invitation lapses between events, and at every moment it equals what the application
answered live then."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tenantry
from tenantry.application.app import Tenantry
from tenantry.application.seat_history import LAPSED, NOW, SeatPoint
from tenantry.domain.errors import InvalidField, OrganizationNotFound, TenantryError
from tests.support import FakeClock
from tests.unit.helpers import records_nothing


def shape(points: list[SeatPoint]) -> list[tuple[int, int | None, str]]:
    return [(p.seats_in_use, p.limit, p.cause) for p in points]


def test_each_change_of_seats_or_limit_is_a_point_and_other_events_are_not(
    app: Tenantry, clock: FakeClock
) -> None:
    org = app.create_organization("Acme").id
    clock.advance(timedelta(minutes=1))
    app.upsert_user_management_settings(org, 3)
    clock.advance(timedelta(minutes=1))
    app.add_member(org, "ann@x.io")
    clock.advance(timedelta(minutes=1))
    app.update_organization(org, display_name="Acme 2")  # no seat change: no point
    clock.advance(timedelta(minutes=1))
    app.invite_member(org, "bob@x.io")
    clock.advance(timedelta(minutes=1))
    app.deactivate_member(org, "ann@x.io")
    clock.advance(timedelta(minutes=1))
    points = app.list_seat_history(org)
    assert shape(points) == [
        (0, None, "Created"),
        (0, 3, "LimitSet"),
        (1, 3, "MemberAdded"),
        (2, 3, "MemberInvited"),
        (1, 3, "MemberDeactivated"),
        (1, 3, NOW),
    ]
    assert [p.version for p in points] == [1, 2, 3, 5, 6, 6]
    assert points[-1].time == clock()
    assert [p.time for p in points] == sorted(p.time for p in points)


def test_a_limit_of_zero_reads_as_no_limit(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.upsert_user_management_settings(org, 2)
    app.upsert_user_management_settings(org, 0)
    assert [p.limit for p in app.list_seat_history(org)] == [None, 2, None]


def test_an_invitation_frees_its_seat_when_it_lapses_before_the_sweep_records_it(
    app: Tenantry, clock: FakeClock
) -> None:
    org = app.create_organization("Acme").id
    invited = app.invite_member(org, "bob@x.io", expires_in=timedelta(days=1))
    assert invited.expires_at is not None
    clock.advance(timedelta(days=3))
    points = app.list_seat_history(org)
    assert shape(points) == [
        (0, None, "Created"),
        (1, None, "MemberInvited"),
        (0, None, LAPSED),
        (0, None, NOW),
    ]
    assert points[2].time == invited.expires_at
    assert points[2].version == 2
    app.expire_invitations()  # recorded later: the seat was free already, no new point
    assert shape(app.list_seat_history(org))[:3] == shape(points)[:3]


def test_an_accepted_invitation_has_no_lapse(app: Tenantry, clock: FakeClock) -> None:
    org = app.create_organization("Acme").id
    app.invite_member(org, "bob@x.io", expires_in=timedelta(days=1))
    clock.advance(timedelta(hours=1))
    app.accept_invitation(org, "bob@x.io")
    clock.advance(timedelta(days=3))
    assert shape(app.list_seat_history(org)) == [
        (0, None, "Created"),
        (1, None, "MemberInvited"),
        (1, None, NOW),
    ]


def test_until_leaves_out_what_came_after(app: Tenantry, clock: FakeClock) -> None:
    org = app.create_organization("Acme").id
    clock.advance(timedelta(minutes=1))
    app.add_member(org, "ann@x.io")
    middle = clock.advance(timedelta(minutes=1))
    clock.advance(timedelta(minutes=1))
    app.add_member(org, "bob@x.io")
    points = app.list_seat_history(org, until=middle)
    assert shape(points) == [(0, None, "Created"), (1, None, "MemberAdded"), (1, None, NOW)]
    assert points[-1].time == middle


def test_a_deleted_organization_keeps_its_seat_history(app: Tenantry) -> None:
    org = app.create_organization("Acme").id
    app.add_member(org, "ann@x.io")
    app.delete_organization(org)
    assert [p.seats_in_use for p in app.list_seat_history(org)][:2] == [0, 1]


def test_an_unknown_organization_is_not_found_and_a_wrong_until_names_the_field(
    app: Tenantry,
) -> None:
    with pytest.raises(OrganizationNotFound):
        app.list_seat_history("org_" + "0" * 26)
    org = app.create_organization("Acme").id
    with records_nothing(app), pytest.raises(InvalidField) as e:
        app.list_seat_history(org, until="yesterday")  # type: ignore[arg-type]
    assert e.value.field == "until"


EMAILS = [f"u{i}@seats.example" for i in range(3)]
Op = Callable[[Tenantry, str], object]
_who = st.sampled_from(EMAILS)
OPS: st.SearchStrategy[Op] = st.one_of(
    _who.map(lambda e: lambda t, o: t.add_member(o, e)),
    _who.map(lambda e: lambda t, o: t.invite_member(o, e, expires_in=timedelta(hours=2))),
    _who.map(lambda e: lambda t, o: t.accept_invitation(o, e)),
    _who.map(lambda e: lambda t, o: t.resend_invitation(o, e)),
    _who.map(lambda e: lambda t, o: t.revoke_invitation(o, e)),
    _who.map(lambda e: lambda t, o: t.remove_member(o, e)),
    _who.map(lambda e: lambda t, o: t.deactivate_member(o, e)),
    _who.map(lambda e: lambda t, o: t.reactivate_member(o, e)),
    st.sampled_from([None, 0, 1, 2]).map(
        lambda n: lambda t, o: t.upsert_user_management_settings(o, n)
    ),
    st.just(lambda t, o: t.expire_invitations()),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(OPS, st.sampled_from([timedelta(minutes=30), timedelta(hours=1, seconds=7)])),
        min_size=1,
        max_size=12,
    )
)
def test_at_every_moment_the_history_equals_the_live_seat_usage_then(
    steps: list[tuple[Op, timedelta]],
) -> None:
    clock = FakeClock()
    t = tenantry.connect("memory://", clock=clock)
    try:
        org = t.create_organization("Acme").id
        seen: list[tuple[datetime, int, int | None]] = []
        for op, pause in steps:
            with contextlib.suppress(TenantryError):
                op(t, org)
            now = clock.advance(pause) - timedelta(seconds=1)  # between this step and the next
            usage = t.get_seat_usage(org, at=now)
            seen.append((now, usage.seats_in_use, usage.max_allowed_users or None))
        points = t.list_seat_history(org)
        for now, in_use, limit in seen:
            then = [p for p in points if p.time <= now][-1]  # the step in force at `now`
            assert (then.seats_in_use, then.limit) == (in_use, limit), now
        pairs = [(p.seats_in_use, p.limit) for p in points[:-1]]
        assert all(a != b for a, b in itertools.pairwise(pairs))  # changes only
    finally:
        t.close()
