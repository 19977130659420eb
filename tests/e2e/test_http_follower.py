"""The projection follower process ``tenantry serve`` runs beside its workers: one for the whole
server, kept up with the log, stopped with the server, and gone on its own if the server dies."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest

import tenantry
from tenantry.adapters.projections import ProjectionStore, follower
from tests.e2e.http_support import serve

NAMES = ("organizations", "seats", "memberships", "audit", "users")


def followers_of(pid: int) -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process(pid).children(recursive=True)
        if "tenantry.adapters.projections.follower" in " ".join(p.cmdline())
    ]


def wait_until(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_follower_process_keeps_every_projection_caught_up_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    app = tenantry.connect(url)
    views = ProjectionStore(app)
    process = follower.spawn(url)
    try:
        for i in range(30):
            app.create_organization(f"Org {i}")
        head = views.head()
        # position() only reads: it is the follower process that moves them
        assert wait_until(lambda: all(views.position(n) >= head for n in NAMES))
        assert views.list_organizations(page_size=100).total_size == 30
    finally:
        follower.stop_process(process)
        views.close()
        app.close()
    assert process.returncode == 0


def test_the_follower_stops_on_its_own_when_the_server_process_is_gone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    stop = threading.Event()
    not_our_parent = os.getppid() + 1
    done = threading.Thread(
        target=follower.follow, args=(url, stop), kwargs={"parent": not_our_parent}
    )
    done.start()
    done.join(timeout=10)
    assert not done.is_alive()
    assert stop.is_set()


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_runs_one_follower_for_all_workers_and_stops_it_with_itself(
    tmp_path: Path, workers: int
) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    with serve(url, workers=workers, log=tmp_path / "serve.log") as s:
        running = followers_of(s.process.pid)
        assert len(running) == 1
        with s.client() as api:
            org = api.post("/api/v1/organizations", json={"display_name": "Acme"}).json()
            listed = api.get("/api/v1/organizations").json()["organizations"]
            assert [o["id"] for o in listed] == [org["organization"]["id"]]
        assert s.stop() in (0, -signal.SIGTERM)
    psutil.wait_procs(running, timeout=10)
    assert not any(p.is_running() for p in running)


def test_a_killed_server_leaves_no_follower_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    with serve(url, log=tmp_path / "serve.log") as s:
        assert httpx.get(f"{s.base_url}/healthz").status_code == 200
        running = followers_of(s.process.pid)
        assert len(running) == 1
        s.process.kill()
        s.process.wait()
        gone, alive = psutil.wait_procs(running, timeout=10)
        assert alive == []
        assert len(gone) == 1
