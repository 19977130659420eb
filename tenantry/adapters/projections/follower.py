"""The projection follower that ``tenantry serve`` runs beside its workers: one process for the
whole server, however many workers answer requests.

In its own process the projections do not compete with the request handlers for the workers'
interpreter lock, and several workers do not each run a follower over the same log (safe —
positions move by compare-and-set — but wasted work). Lists and search still read their writes:
a read whose projection is behind the log's head catches up in the request itself
(``ProjectionStore.wait_for``).

The process stops on SIGTERM or SIGINT (after the batch in hand, which commits or rolls back as a
whole), and on its own when the server process that started it is gone.

    python -m tenantry.adapters.projections.follower   # database from $TENANTRY_DATABASE_URL
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import Final

from tenantry.adapters.database import DATABASE_URL_ENV, connect, resolve_url
from tenantry.adapters.projections import ProjectionStore
from tenantry.adapters.projections.supervision import follow_supervised

PARENT_ENV: Final = "TENANTRY_HTTP_PARENT_PID"
RESTARTS_ENV: Final = "TENANTRY_FOLLOWER_RESTARTS"
"""How many times the server restarted this follower process before (readiness shows it)."""
PARENT_POLL: Final = 0.5
"""Seconds between checks that the server process is still there."""


def follow(
    database_url: str, stop: threading.Event, *, parent: int | None = None, restarts: int = 0
) -> None:
    """Keeps every projection of ``database_url`` caught up until ``stop`` is set or the process
    ``parent`` is no longer this process's parent; supervised (restarted after an error, see
    :mod:`.supervision`)."""

    def orphaned() -> bool:
        return parent is not None and os.getppid() != parent

    def watch_parent() -> None:
        while not stop.wait(PARENT_POLL):
            if orphaned():
                stop.set()

    watcher = threading.Thread(target=watch_parent, name="parent-watch", daemon=True)
    watcher.start()

    app = connect(database_url)
    try:
        views = ProjectionStore(app)
        try:
            follow_supervised(views, stop, restarts=restarts)
        finally:
            views.close()
    finally:
        stop.set()
        app.close()
        watcher.join()


def spawn(database_url: str, *, restarts: int = 0) -> subprocess.Popen[bytes]:
    """Starts the follower process for ``database_url`` (passed in the environment, not on the
    command line, where it would show a password to ``ps``)."""
    env = {
        **os.environ,
        DATABASE_URL_ENV: database_url,
        PARENT_ENV: str(os.getpid()),
        RESTARTS_ENV: str(restarts),
    }
    return subprocess.Popen([sys.executable, "-m", __name__], env=env)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM, then wait for the batch in hand; SIGKILL only if it does not stop in time."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    parent = os.environ.get(PARENT_ENV)
    follow(
        resolve_url(),
        stop,
        parent=int(parent) if parent else None,
        restarts=int(os.environ.get(RESTARTS_ENV, "0") or 0),
    )


if __name__ == "__main__":
    main()
