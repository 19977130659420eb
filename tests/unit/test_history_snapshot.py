"""The organization as it was, with its members and seats: at every point of a random history it
equals what the application answered live at that point (replaying the log to that point)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tenantry
from tenantry.application import dto
from tenantry.application.app import Tenantry
from tenantry.domain.errors import InvalidField, TenantryError, VersionNotFound
from tests.support import FakeClock

EMAILS = [f"u{i}@snap.example" for i in range(3)]
Op = Callable[[Tenantry, str], object]

_who = st.sampled_from(EMAILS)
OPS: st.SearchStrategy[Op] = st.one_of(
    _who.map(lambda e: lambda t, o: t.add_member(o, e)),
    _who.map(lambda e: lambda t, o: t.invite_member(o, e)),
    st.tuples(_who, st.sampled_from(["admin", "viewer"])).map(
        lambda a: lambda t, o: t.update_member_roles(o, a[0], [a[1]])
    ),
    st.tuples(_who, st.sampled_from(["a", "b"])).map(
        lambda a: lambda t, o: t.update_member_metadata(o, a[0], {"team": a[1]})
    ),
    _who.map(lambda e: lambda t, o: t.remove_member(o, e)),
    _who.map(lambda e: lambda t, o: t.deactivate_member(o, e)),
    _who.map(lambda e: lambda t, o: t.reactivate_member(o, e)),
    st.sampled_from(["Acme", "Hooli"]).map(
        lambda n: lambda t, o: t.update_organization(o, display_name=n)
    ),
    st.sampled_from([None, 1, 2]).map(
        lambda n: lambda t, o: t.upsert_user_management_settings(o, n)
    ),
)


def _live(t: Tenantry, org: str) -> tuple[dto.Organization, dict[str, dto.Membership]]:
    members = {}
    for email in EMAILS:
        try:
            m = t.get_membership(org, email)
        except TenantryError:
            continue
        if m.status != "REMOVED":
            members[m.email] = m
    return t.get_organization(org), members


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=12))
def test_the_snapshot_at_each_point_equals_the_live_answer_then(ops: list[Op]) -> None:
    clock = FakeClock()
    t = tenantry.connect("memory://", clock=clock)
    try:
        org = t.create_organization("Snap").id
        seen = [(clock(), *_live(t, org))]
        for op in ops:
            clock.advance(timedelta(minutes=1))
            with contextlib.suppress(TenantryError):  # refused: records nothing
                op(t, org)
            seen.append((clock(), *_live(t, org)))
        for moment, organization, members in seen:
            snap = t.get_organization_snapshot(org, at=moment)
            assert snap.organization == organization
            assert {m.email: m for m in snap.members} == members
            assert snap.seat_usage.seats_in_use == organization.seats_in_use
        last = t.get_organization_snapshot(org, version=organization.version)
        assert last.organization == organization
    finally:
        t.close()


def test_a_snapshot_needs_exactly_one_point_and_a_known_version(
    app: Tenantry, clock: FakeClock
) -> None:
    org = app.create_organization("Snap").id
    with pytest.raises(InvalidField) as both:
        app.get_organization_snapshot(org, version=1, at=clock())
    assert both.value.field == "as_of"
    with pytest.raises(VersionNotFound):
        app.get_organization_snapshot(org, version=2)
    with pytest.raises(VersionNotFound):
        app.get_organization_snapshot(org, at=clock() - timedelta(seconds=1))
