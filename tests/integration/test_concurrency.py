"""Racing commands: the seat limit and key uniqueness hold, and no race leaks out as an error.

Threads share one application or have one each (like separate servers on one database); on
PostgreSQL, separate processes race too.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier as ProcessBarrier
from multiprocessing.synchronize import Lock as ProcessLock
from typing import Any

import pytest

import tenantry
from tenantry.application.app import Tenantry, utc_now
from tenantry.domain.errors import TenantryError
from tests.support import postgres_schema
from tests.unit.helpers import assert_stored_history_replays, topics

MakeApp = Callable[..., Tenantry]
LIMIT = 3
CONTENDERS = 16
OK = "ok"


def race(apps: list[Tenantry], job: Callable[[Tenantry, int], object]) -> Counter[str]:
    """Runs ``job(app, i)`` for every contender at once; counts outcomes by error code.
    Only tenantry's errors are outcomes: anything else fails the test."""
    barrier = threading.Barrier(len(apps))

    def contender(i: int) -> str:
        barrier.wait(timeout=60)
        try:
            job(apps[i], i)
        except TenantryError as error:
            return error.code
        return OK

    with ThreadPoolExecutor(max_workers=len(apps)) as pool:
        return Counter(pool.map(contender, range(len(apps))))


@pytest.fixture(params=["shared app", "app per thread"])
def contender_apps(
    request: pytest.FixtureRequest, make_app: MakeApp, database_url: str
) -> list[Tenantry]:
    if request.param == "shared app":
        return [make_app(database_url)] * CONTENDERS
    if database_url.startswith("memory:"):
        pytest.skip("separate in-memory applications do not share a store")
    if database_url.startswith("postgresql"):
        # Small pools: a dozen applications must fit in the server's connection limit.
        database_url += "&pool_size=1&max_overflow=1"
    return [make_app(database_url) for _ in range(CONTENDERS)]


def admit(org: str) -> Callable[[Tenantry, int], object]:
    """Alternates the two admissions that take a seat: invitation and direct provisioning."""

    def job(app: Tenantry, i: int) -> object:
        if i % 2:
            return app.add_member(org, f"user{i}@x.io")
        return app.invite_member(org, f"user{i}@x.io")

    return job


def test_contenders_for_the_last_seats_admit_exactly_the_limit(
    contender_apps: list[Tenantry],
) -> None:
    app = contender_apps[0]
    org = app.create_organization("Acme").id
    app.upsert_user_management_settings(org, LIMIT)
    outcomes = race(contender_apps, admit(org))
    assert outcomes == {OK: LIMIT, "seat_limit_reached": CONTENDERS - LIMIT}
    for reader in {id(a): a for a in contender_apps}.values():
        assert reader.get_seat_usage(org).seats_in_use == LIMIT
    recorded = topics(app)
    admitted = recorded.count("Organization.MemberInvited") + recorded.count(
        "Organization.MemberAdded"
    )
    assert admitted == LIMIT
    memberships = recorded.count("Membership.Invited") + recorded.count("Membership.Provisioned")
    assert memberships == LIMIT
    assert_stored_history_replays(app, org)


def test_contenders_without_a_limit_are_all_admitted(contender_apps: list[Tenantry]) -> None:
    app = contender_apps[0]
    org = app.create_organization("Acme").id
    outcomes = race(contender_apps, admit(org))
    assert outcomes == {OK: CONTENDERS}
    assert app.get_seat_usage(org).seats_in_use == CONTENDERS
    assert app.get_organization(org).version == 1 + CONTENDERS
    assert_stored_history_replays(app, org)


def test_racing_creates_with_one_external_id_leave_exactly_one_organization(
    contender_apps: list[Tenantry],
) -> None:
    app = contender_apps[0]
    outcomes = race(
        contender_apps,
        lambda a, i: a.create_organization(f"Acme {i}", external_id="acme", slug=f"acme-{i}"),
    )
    assert outcomes == {OK: 1, "external_id_taken": CONTENDERS - 1}
    recorded = topics(app)
    assert recorded.count("Organization.Created") == 1
    # The losers' slugs were never claimed: no orphan claim, all of them are free.
    assert recorded.count("KeyClaim.Claimed") == 2
    winner = app.get_organization_by_external_id("acme")
    assert app.create_organization("Other", slug="acme-99").slug == "acme-99"
    assert winner.display_name.startswith("Acme ")


def test_racing_sign_ups_for_one_slug_leave_one_organization_and_one_admin(
    contender_apps: list[Tenantry],
) -> None:
    app = contender_apps[0]
    outcomes = race(contender_apps, lambda a, i: a.sign_up(f"founder{i}@x.io", "Acme", slug="acme"))
    assert outcomes == {OK: 1, "slug_taken": CONTENDERS - 1}
    recorded = topics(app)
    assert recorded.count("Organization.Created") == 1
    assert recorded.count("Membership.Provisioned") == 1
    assert recorded.count("User.Registered") == 1


def test_concurrent_updates_of_one_organization_lose_no_change(
    contender_apps: list[Tenantry],
) -> None:
    app = contender_apps[0]
    org = app.create_organization("Acme").id
    outcomes = race(
        contender_apps,
        lambda a, i: a.update_organization(org, metadata={f"key{i:02}": "v"}, reason=str(i)),
    )
    assert outcomes == {OK: CONTENDERS}
    history = app.list_history(org)
    assert sorted(int(h.reason or -1) for h in history[1:]) == list(range(CONTENDERS))


# --- separate processes on PostgreSQL -----------------------------------------------------------


def _outcome(app: Tenantry, job: str, org: str, i: int) -> str:
    try:
        if job == "admit":
            app.invite_member(org, f"user{i}@x.io")
        else:
            app.create_organization(f"Acme {i}", external_id="acme")
    except TenantryError as error:
        return error.code
    return OK


def _contend_in_process(
    url: str,
    job: str,
    org: str,
    i: int,
    startup: ProcessLock,
    barrier: ProcessBarrier,
    results: Queue[Any],
) -> None:
    """One contender in its own process, with its own connection to the same schema. Any
    failure is reported to the parent (which fails the test) and releases the others."""
    app: Tenantry | None = None
    try:
        # Connecting runs eventsourcing's CREATE OR REPLACE FUNCTION, which PostgreSQL refuses
        # to run concurrently ("tuple concurrently updated"): start one at a time, then race.
        with startup:
            app = tenantry.connect(f"{url}&pool_size=1&max_overflow=1")
        barrier.wait(timeout=120)
        results.put(_outcome(app, job, org, i))
    except Exception as error:
        barrier.abort()
        results.put(f"unexpected {type(error).__name__}: {error}")
    finally:
        if app is not None:
            app.close()


def race_processes(url: str, job: str, org: str, n: int) -> Counter[str]:
    ctx = multiprocessing.get_context("spawn")
    startup, barrier = ctx.Lock(), ctx.Barrier(n)
    results: Queue[Any] = ctx.Queue()
    processes = [
        ctx.Process(target=_contend_in_process, args=(url, job, org, i, startup, barrier, results))
        for i in range(n)
    ]
    for p in processes:
        p.start()
    outcomes = Counter(results.get(timeout=300) for _ in processes)
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    return outcomes


@pytest.mark.postgres
def test_processes_racing_for_the_last_seats_admit_exactly_the_limit(
    pg_url: str, make_app: MakeApp
) -> None:
    with postgres_schema(pg_url) as url:
        app = make_app(url, clock=utc_now)
        org = app.create_organization("Acme").id
        app.upsert_user_management_settings(org, LIMIT)
        outcomes = race_processes(url, "admit", org, 8)
        assert outcomes == {OK: LIMIT, "seat_limit_reached": 8 - LIMIT}
        assert app.get_seat_usage(org).seats_in_use == LIMIT
        assert topics(app).count("Organization.MemberInvited") == LIMIT
        assert_stored_history_replays(app, org)


@pytest.mark.postgres
def test_processes_racing_to_create_one_external_id_leave_one_organization(
    pg_url: str, make_app: MakeApp
) -> None:
    with postgres_schema(pg_url) as url:
        app = make_app(url, clock=utc_now)
        outcomes = race_processes(url, "create", "", 8)
        assert outcomes == {OK: 1, "external_id_taken": 7}
        assert topics(app).count("Organization.Created") == 1
        assert app.get_organization_by_external_id("acme").display_name.startswith("Acme ")
