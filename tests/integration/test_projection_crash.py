"""Crash safety: a projection process killed with SIGKILL inside a batch's transaction, during a
catch-up and during a rebuild, leaves views that — once restarted — equal a fold of the log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tenantry
from tenantry.adapters.projections import ProjectionStore
from tests.integration.projection_support import assert_views_equal_the_fold
from tests.support import database

CHILD = """
import sys, time
from pathlib import Path
import tenantry
from tenantry.adapters.projections import ProjectionStore
url, mode, marker = sys.argv[1], sys.argv[2], Path(sys.argv[3])
app = tenantry.connect(url)
store = ProjectionStore(app, batch_size=5)
batches = 0
def hang_in_the_third_batch(name, position):
    global batches
    batches += 1
    if batches == 3:
        marker.write_text(str(position))
        time.sleep(600)  # inside the open transaction: the parent kills us here
store.before_commit = hang_in_the_third_batch
if mode == "rebuild":
    store.rebuild("audit")
else:
    store.catch_up("audit")
"""


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


def kill_mid_batch(url: str, mode: str, tmp_path: Path) -> None:
    marker = tmp_path / f"{mode}.marker"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, mode, str(marker)], env=env)
    try:
        while not marker.exists():  # waits for an event, not for a duration
            assert child.poll() is None, "the child ended before reaching its third batch"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("mode", ["catch-up", "first catch-up", "rebuild"])
def test_a_projection_killed_mid_batch_restarts_to_a_fold_of_the_log(
    url: str, mode: str, tmp_path: Path
) -> None:
    app = tenantry.connect(url)
    store = ProjectionStore(app)
    try:
        if mode == "catch-up":  # live tables exist and follow the log
            app.create_organization("Before")
            store.catch_up("audit")
        start = store.head()
        for i in range(8):
            org = app.create_organization(f"Org {i}")
            app.add_member(org.id, f"m{i}@x.io")
        if mode == "rebuild":
            store.catch_up("audit")
        kill_mid_batch(url, "rebuild" if mode == "rebuild" else "catch-up", tmp_path)
        audit = {s.name: s for s in store.status()}["audit"]
        if mode == "catch-up":
            # Two batches of five committed, the third died with its transaction.
            assert (audit.position, audit.rebuilding) == (start + 10, False)
            assert len(store.dump("audit")["audit"]) == start + 10  # rows and position agree
            store.catch_up("audit")
        else:
            # Built beside the live tables (none yet on a first catch-up): two batches
            # committed, the third died; the live tables were not touched.
            assert (audit.rebuilding, audit.rebuild_position) == (True, 10)
            assert audit.generation == (None if mode == "first catch-up" else 1)
            if mode == "rebuild":
                assert audit.lag == 0
                resumed = store.rebuild("audit")
            else:
                resumed = store.catch_up("audit")
            assert resumed == store.head() - 10  # resumed where it died, not from scratch
        assert_views_equal_the_fold(store)
        assert not {s.name: s for s in store.status()}["audit"].rebuilding
    finally:
        store.close()
        app.close()
