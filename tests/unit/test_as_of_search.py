"""``get_organization_as_of(at=…)`` finds the version for a moment by a binary search over the
stored events; at every moment of a random history (equal timestamps, a clock that steps back,
moments before the organization and after its deletion or restore) it answers exactly what a
replay of the log up to that moment answers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from hypothesis import given, settings
from hypothesis import strategies as st

import tenantry
from tenantry.application import dto, presenters
from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.errors import TenantryError, VersionNotFound
from tenantry.domain.organization import Organization
from tests.support import FakeClock

Op = Callable[[Tenantry, str], object]
Outcome = tuple[str, object]

OPS: st.SearchStrategy[Op] = st.one_of(
    st.sampled_from(["Acme", "Hooli", "Initech"]).map(
        lambda n: lambda t, o: t.update_organization(o, display_name=n)
    ),
    st.integers(0, 5).map(lambda i: lambda t, o: t.invite_member(o, f"u{i}@asof.example")),
    st.sampled_from(["a", "b"]).map(
        lambda v: lambda t, o: t.update_organization(o, metadata={"k": v})
    ),
    st.just(lambda t, o: t.delete_organization(o)),
    st.just(lambda t, o: t.restore_organization(o)),
)
STEPS = st.tuples(
    OPS,
    # The clock stands still (equal timestamps), steps back, or moves on.
    st.sampled_from([timedelta(0), timedelta(0), -timedelta(seconds=3), timedelta(seconds=1)]),
)


def replayed(app: Tenantry, org_id: str, moment: datetime) -> Outcome:
    """The organization at ``moment`` as a replay of its events up to it answers (the way
    ``get_organization_as_of`` answered before it searched)."""
    found: Organization | None = None
    for event in app.events.get(ids.decode(ids.ORG, org_id)):
        if cast(Organization.Event, event).timestamp > moment:
            break
        found = cast(Organization, event.mutate(found))  # type: ignore[attr-defined]
    if found is None:
        return "refused", str(VersionNotFound(org_id, moment.isoformat()))
    if found.is_deleted:
        return "refused", str(VersionNotFound(org_id, f"version {found.version} (deleted)"))
    return "found", presenters.organization_of(found, moment)


def searched(app: Tenantry, org_id: str, moment: datetime) -> Outcome:
    try:
        org: dto.Organization = app.get_organization_as_of(org_id, at=moment)
    except VersionNotFound as e:
        return "refused", str(e)
    return "found", org


def moments_of(app: Tenantry, org_id: str) -> list[datetime]:
    """Every moment that can answer differently: each event's time and either side of it."""
    times = {h.timestamp for h in app.list_history(org_id)}
    tick = timedelta(microseconds=1)
    return sorted({m for t in times for m in (t - tick, t, t + tick)})


def assert_search_equals_replay(app: Tenantry, org_id: str) -> None:
    moments = moments_of(app, org_id)
    moments += [moments[0] - timedelta(days=1), moments[-1] + timedelta(days=400)]
    for moment in moments:
        assert searched(app, org_id, moment) == replayed(app, org_id, moment), moment


@settings(max_examples=60, deadline=None)
@given(st.lists(STEPS, max_size=70))
def test_as_of_a_moment_equals_a_replay_up_to_it(steps: list[tuple[Op, timedelta]]) -> None:
    clock = FakeClock()
    app = tenantry.connect("memory://", clock=clock)
    org_id = app.create_organization("Start").id
    for op, step in steps:
        clock.advance(step)
        with contextlib.suppress(TenantryError):  # a refused step records nothing
            op(app, org_id)
    assert_search_equals_replay(app, org_id)


def test_an_organization_that_never_was_is_not_found_at_any_moment() -> None:
    app = tenantry.connect("memory://", clock=FakeClock())
    nobody = ids.encode(ids.ORG, ids.new_id())
    assert searched(app, nobody, FakeClock()()) == replayed(app, nobody, FakeClock()())
