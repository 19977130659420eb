"""``tenantry projections status | catch-up | rebuild | follow``: the installed command, run as a
subprocess on a SQLite file, checked against the projections' Python API and a fold of the log."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import tenantry
from tenantry.adapters.cli import EXIT_CODES
from tenantry.adapters.projections import ProjectionStore
from tenantry.adapters.projections.supervision import BEAT_EVERY, FollowerHealth
from tenantry.domain.errors import ErrorKind
from tests.e2e.test_cli import COMMAND
from tests.integration.projection_support import assert_views_equal_the_fold

NAMES = ["organizations", "seats", "memberships", "audit", "users"]


def env(url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    return {**clean, "TENANTRY_DATABASE_URL": url, "COLUMNS": "200"}


def projections(url: str, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*COMMAND, "projections", *args],
        capture_output=True,
        text=True,
        env=env(url),
        timeout=120,
    )
    assert done.returncode == expect, f"projections {' '.join(args)}: {done}"
    return done


def populate(url: str, first: int, n: int) -> None:
    app = tenantry.connect(url)
    try:
        for i in range(first, first + n):
            org = app.create_organization(f"Org {i}")
            app.add_member(org.id, f"m{i}@x.io")
    finally:
        app.close()


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'tenantry.db'}"
    populate(url, 0, 4)
    return url


@pytest.fixture
def store(url: str) -> Iterator[ProjectionStore]:
    app = tenantry.connect(url)
    s = ProjectionStore(app)
    yield s
    s.close()
    app.close()


def test_catch_up_brings_every_projection_to_the_head_and_status_shows_it(
    url: str, store: ProjectionStore
) -> None:
    before = projections(url, "status").stdout
    assert all(name in before for name in NAMES)
    done = projections(url, "catch-up", "--batch-size", "3")
    assert f"caught up: {', '.join(NAMES)}" in done.stdout
    status = store.status()
    assert [(s.name, s.position, s.lag) for s in status] == [(n, store.head(), 0) for n in NAMES]
    assert_views_equal_the_fold(store)
    shown = projections(url, "status").stdout
    assert all(n in shown for n in NAMES)
    assert str(store.head()) in shown


def test_rebuild_builds_a_new_generation_and_swaps_it_in(url: str, store: ProjectionStore) -> None:
    projections(url, "catch-up")
    generation = {s.name: s.generation for s in store.status()}["organizations"]
    done = projections(url, "rebuild", "organizations")
    assert "rebuilt organizations" in done.stdout
    after = {s.name: s for s in store.status()}["organizations"]
    assert (after.generation, after.lag, after.rebuilding) == ((generation or 0) + 1, 0, False)
    assert_views_equal_the_fold(store)


def test_an_unknown_projection_is_refused_with_the_invalid_argument_exit_code(url: str) -> None:
    done = projections(url, "rebuild", "nope", expect=EXIT_CODES[ErrorKind.INVALID_ARGUMENT])
    assert "error [invalid_field]" in done.stderr
    assert "projection" in done.stderr


def test_follow_keeps_up_with_new_events_until_sigterm(url: str, store: ProjectionStore) -> None:
    follower = subprocess.Popen(
        [*COMMAND, "projections", "follow", "--interval", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(url),
    )
    try:
        populate(url, 4, 3)
        head = store.head()
        deadline = time.monotonic() + 60  # a bound on a hang, not a speed requirement
        while min(store.position(n) for n in NAMES) < head:
            assert follower.poll() is None, follower.communicate()
            assert time.monotonic() < deadline, "follow did not catch up"
            time.sleep(0.05)
    finally:
        follower.send_signal(signal.SIGTERM)
        out, err = follower.communicate(timeout=60)
    assert follower.returncode == 0, err
    assert "following the log" in out
    assert_views_equal_the_fold(store)


def test_follow_restarts_after_its_database_was_locked_and_records_it(tmp_path: Path) -> None:
    path = tmp_path / "tenantry.db"
    url = f"sqlite:///{path}?timeout=0.2"
    populate(url, 0, 2)
    engine = sa.create_engine(f"sqlite:///{path}")
    health = FollowerHealth(engine)
    follower = subprocess.Popen(
        [*COMMAND, "projections", "follow", "--interval", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(url),
    )
    try:
        wait_until(lambda: health.read() is not None, follower)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        time.sleep(2.5 * BEAT_EVERY)  # a heartbeat meets the lock: the follower stops on it
        holder.execute("ROLLBACK")
        holder.close()

        def restarted() -> bool:
            state = health.read()
            return state is not None and state.restarts >= 1

        wait_until(restarted, follower)
        populate(url, 2, 2)
        app = tenantry.connect(url)
        store = ProjectionStore(app)
        try:
            head = store.head()
            wait_until(lambda: min(store.position(n) for n in NAMES) >= head, follower)
        finally:
            store.close()
            app.close()
    finally:
        follower.send_signal(signal.SIGTERM)
        _, err = follower.communicate(timeout=60)
    state = health.read()
    engine.dispose()
    assert follower.returncode == 0, err
    assert state is not None
    assert "database is locked" in (state.last_error or "")
    assert "restart 1" in err


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60  # a bound on a hang, not a speed requirement
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "not reached"
        time.sleep(0.05)
