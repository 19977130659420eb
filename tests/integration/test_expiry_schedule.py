"""The invitation-expiry sweep on a schedule: once per period across every process on one
database, its runs recorded (when, how many expired, the error), and visible in readiness."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import tenantry
from tenantry.adapters.database import database_of
from tenantry.adapters.expiry_schedule import ExpirySchedule
from tenantry.adapters.http import create_app
from tenantry.application.app import Tenantry
from tests.support import FakeClock, database


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as u:
        yield u


def _schedulers(url: str, clock: FakeClock, n: int) -> list[tuple[Tenantry, ExpirySchedule]]:
    out = []
    for _ in range(n):  # as many server processes: each its own application and engine
        app = tenantry.connect(url, clock=clock)
        engine = database_of(app).adapters_engine()
        out.append((app, ExpirySchedule(app, engine, interval=3600)))
    return out


def test_two_schedulers_on_one_database_run_the_sweep_once_per_period(
    url: str, clock: FakeClock
) -> None:
    pairs = _schedulers(url, clock, 2)
    first_app = pairs[0][0]
    org = first_app.create_organization("Megasoft")
    first_app.invite_member(org.id, "ada@megasoft.example")
    try:
        for period in range(3):
            clock.advance(timedelta(days=16) if period == 0 else timedelta(hours=1))
            ran: list[bool] = []
            barrier = threading.Barrier(len(pairs))
            threads = [
                threading.Thread(target=_run_together, args=(s, barrier, ran)) for _, s in pairs
            ]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            assert sorted(ran) == [False, True], period
            # Not due again within the period, whoever asks.
            assert [s.run_if_due() for _, s in pairs] == [False, False]
            last = pairs[1][1].last_run()
            assert last.last_run_at == clock()
            assert (last.expired, last.error) == (1 if period == 0 else 0, None)
    finally:
        for app, schedule in pairs:
            schedule.engine.dispose()
            app.close()


def _run_together(schedule: ExpirySchedule, barrier: threading.Barrier, ran: list[bool]) -> None:
    barrier.wait()
    ran.append(schedule.run_if_due())


def test_a_sweep_whose_process_died_mid_run_is_taken_over_when_its_lease_expires(
    url: str, clock: FakeClock
) -> None:
    (a_app, a), (b_app, b) = _schedulers(url, clock, 2)
    try:
        assert a._take_lease()  # a takes the lease and dies before recording its run
        assert not b.run_if_due()
        clock.advance(a.lease + timedelta(seconds=1))
        assert b.run_if_due()
        assert b.last_run().last_run_at == clock()
    finally:
        for app, schedule in ((a_app, a), (b_app, b)):
            schedule.engine.dispose()
            app.close()


def test_readiness_shows_the_sweeps_last_run(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 't.db'}", expiry_interval=3600)
    with TestClient(app) as client:
        deadline = threading.Event()
        for _ in range(200):
            sweep = client.get("/readyz").json()["expiry_sweep"]
            if sweep["last_run_at"] is not None:
                break
            deadline.wait(0.05)
    assert sweep["expired"] == 0
    assert sweep["error"] is None


def test_the_scheduled_sweep_records_the_expiry_of_portal_links_past_their_time(
    url: str, clock: FakeClock
) -> None:
    [(app, schedule)] = _schedulers(url, clock, 1)
    try:
        org = app.create_organization("Portal").id
        unused = app.generate_portal_link(org)
        used = app.generate_portal_link(org)
        app.open_portal_link(used.location.partition("token=")[2])
        clock.advance(timedelta(minutes=5))
        assert schedule.run_if_due()
        expired = [h.data["link_id"] for h in app.list_history(org) if h.event.endswith("Expired")]
        assert expired == [unused.id]  # the used one's session is still live
        clock.advance(timedelta(hours=6))
        assert schedule.run_if_due()
        events = [(h.event, h.actor) for h in app.list_history(org)][-2:]
        assert events == [
            ("PortalLinkExpired", "system:expiry-sweep"),
            ("PortalLinkExpired", "system:expiry-sweep"),
        ]
        assert app.list_history(org)[-1].data["link_id"] == used.id
    finally:
        schedule.engine.dispose()
        app.close()
