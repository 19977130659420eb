"""A projection that cannot apply an event stops there, visibly, and alone: the failure (event
position, error) is recorded, the other projections go on, and once the cause is fixed a
catch-up (or the follower's next retry) resumes from that event."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import pytest

import tenantry
from tenantry.adapters.projections import OrganizationsView, ProjectionStore, builtin_views
from tenantry.application.app import Tenantry
from tenantry.domain.base import DomainEvent
from tenantry.domain.errors import ProjectionFailed
from tenantry.projections.base import Row, RowRef, Writes
from tenantry.projections.organizations import OrganizationsProjection
from tests.integration.projection_support import assert_views_equal_the_fold
from tests.support import database

POISON = "Poison Ltd"


class PoisonedOrganizations(OrganizationsProjection):
    """The organizations projection, with a bug: it cannot apply an organization named
    ``POISON`` (while ``broken``; clearing it stands for deploying the fix)."""

    broken: ClassVar[bool] = True
    write_nul: ClassVar[bool] = False

    def apply(self, event: DomainEvent, position: int, rows: Mapping[RowRef, Row | None]) -> Writes:
        writes = super().apply(event, position, rows)
        if type(self).broken and getattr(event, "display_name", None) == POISON:
            if not type(self).write_nul:
                raise ValueError("cannot apply a poisoned name")
            for row in writes.values():  # what the database itself refuses (PostgreSQL)
                if row is not None and "display_name" in row:
                    row["display_name"] = "Poison\x00Ltd"
        return writes


class PoisonedOrganizationsView(OrganizationsView):
    projection = PoisonedOrganizations()


@pytest.fixture(params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tenantry]:
    PoisonedOrganizations.broken = True
    PoisonedOrganizations.write_nul = False
    with database(request.param, tmp_path) as url:
        t = tenantry.connect(url)
        try:
            yield t
        finally:
            t.close()


@pytest.fixture
def store(app: Tenantry) -> Iterator[ProjectionStore]:
    views = [
        PoisonedOrganizationsView(),
        *(v for v in builtin_views() if v.name != "organizations"),
    ]
    s = ProjectionStore(app, views=views, batch_size=50)
    try:
        yield s
    finally:
        s.close()


def _poisoned_log(app: Tenantry) -> int:
    """Organizations before and after the poisoned one; the poisoned event's position."""
    before = app.create_organization("Before")
    app.add_member(before.id, "ada@before.example")
    app.create_organization(POISON)
    poison = app.last_position
    assert poison is not None
    after = app.create_organization("After")
    app.add_member(after.id, "grace@after.example")
    return poison


def _status(store: ProjectionStore) -> dict[str, tenantry.projections.dto.ProjectionStatus]:
    return {s.name: s for s in store.status()}


def test_a_projection_that_cannot_apply_an_event_stops_there_and_the_others_go_on(
    app: Tenantry, store: ProjectionStore
) -> None:
    store.catch_up()  # every projection built and live
    poison = _poisoned_log(app)

    store.catch_up()  # no exception: the failure is recorded, not raised

    status = _status(store)
    orgs = status["organizations"]
    assert orgs.failure is not None
    assert orgs.failure.position == poison
    assert orgs.failure.error == "ValueError: cannot apply a poisoned name"
    assert orgs.failure.attempts == 1
    assert orgs.position == poison - 1  # everything before the event that failed
    for name in ("memberships", "seats", "audit"):
        assert (status[name].position, status[name].failure) == (store.head(), None), name
    with pytest.raises(ProjectionFailed) as refused:
        store.list_organizations(min_position=store.head(), timeout=0.1)
    assert refused.value.position == poison

    store.catch_up()  # still broken: tried again, failed again at the same event
    assert _status(store)["organizations"].failure.attempts == 2  # type: ignore[union-attr]

    PoisonedOrganizations.broken = False  # the fix is deployed
    store.catch_up()

    orgs = _status(store)["organizations"]
    assert (orgs.position, orgs.failure) == (store.head(), None)
    names = [
        o.display_name for o in store.list_organizations(min_position=store.head()).organizations
    ]
    assert names == ["Before", POISON, "After"]
    assert_views_equal_the_fold(store)


def test_a_projection_whose_first_build_fails_is_not_swapped_in_until_it_is_fixed(
    app: Tenantry, store: ProjectionStore
) -> None:
    poison = _poisoned_log(app)

    store.catch_up()

    orgs = _status(store)["organizations"]
    assert (orgs.generation, orgs.rebuilding) == (None, True)
    assert orgs.failure is not None
    assert orgs.failure.position == poison
    assert _status(store)["audit"].position == store.head()
    PoisonedOrganizations.broken = False
    store.catch_up()
    assert _status(store)["organizations"].generation is not None
    assert_views_equal_the_fold(store)


def test_the_follower_goes_on_past_a_failed_projection_and_resumes_it_once_fixed(
    app: Tenantry, store: ProjectionStore
) -> None:
    store.catch_up()
    store.retry_interval = 0.05
    stop = threading.Event()
    follower = threading.Thread(target=store.follow, kwargs={"interval": 0.02, "stop": stop})
    follower.start()
    try:
        poison = _poisoned_log(app)
        _until(lambda: _status(store)["organizations"].failure is not None)
        _until(lambda: _status(store)["audit"].position == store.head())
        assert _status(store)["organizations"].failure.position == poison  # type: ignore[union-attr]
        assert follower.is_alive()
        PoisonedOrganizations.broken = False
        _until(lambda: _status(store)["organizations"].position == store.head())
        assert _status(store)["organizations"].failure is None
    finally:
        stop.set()
        follower.join()


def test_a_row_the_database_refuses_is_a_failure_of_that_projection_only(
    app: Tenantry, store: ProjectionStore
) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores NUL in text; PostgreSQL refuses it")
    PoisonedOrganizations.write_nul = True
    store.catch_up()
    poison = _poisoned_log(app)

    store.catch_up()

    orgs = _status(store)["organizations"]
    assert orgs.failure is not None
    assert orgs.failure.position == poison
    assert "0x00" in orgs.failure.error
    assert "INSERT" not in orgs.failure.error  # no SQL, no parameters
    assert "\n" not in orgs.failure.error
    assert _status(store)["memberships"].position == store.head()


def _until(condition: object, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)
