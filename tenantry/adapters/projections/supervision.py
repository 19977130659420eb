"""The projection follower, supervised: restarted with backoff whenever it dies (an exception, a
dropped connection, SQLite's ``database is locked``), with the reason logged, and its health
recorded in the database so that every worker's readiness sees it, whichever process runs it.

Bookkeeping table ``proj_follower`` (one row): the follower's last heartbeat (it beats while it
waits for the log to grow and after each catch-up), when it started, how often it was restarted,
its process id, and the last error that stopped it.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa

from tenantry.adapters.projections.engine import reader, writer
from tenantry.adapters.projections.failures import aware, describe
from tenantry.adapters.projections.store import ProjectionStore

log = logging.getLogger("tenantry.follower")

MIN_BACKOFF: Final = 0.5
MAX_BACKOFF: Final = 30.0
"""Seconds before a restart: doubled after each failure, from ``MIN_BACKOFF`` up to this."""
STEADY: Final = 60.0
"""A follower that ran this many seconds before it failed restarts after ``MIN_BACKOFF`` again."""
BEAT_EVERY: Final = 2.0
"""Seconds between recorded heartbeats (at most)."""
_ROW: Final = "follower"

metadata = sa.MetaData()
follower_table = sa.Table(
    "proj_follower",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("restarts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("last_error_at", sa.DateTime(timezone=True)),
)


@dataclass(frozen=True)
class FollowerState:
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    restarts: int
    last_error: str | None
    last_error_at: datetime | None


class FollowerHealth:
    """The follower's row: written by the follower, read by readiness."""

    def __init__(self, engine: sa.Engine) -> None:
        self._write = writer(engine)
        self._read = reader(engine)
        self._last_beat = 0.0
        self._pending: dict[str, object] = {}
        """A failure not recorded yet (the database refused it): the next heartbeat records it."""
        for attempt in range(3):
            try:
                with self._write.begin() as conn:
                    metadata.create_all(conn, checkfirst=True)
                break
            except sa.exc.DBAPIError:  # another process created it at the same moment
                if attempt == 2:
                    raise

    def started(self, restarts: int) -> None:
        now = datetime.now(UTC)
        self._put(pid=os.getpid(), started_at=now, heartbeat_at=now, restarts=restarts)
        self._last_beat = time.monotonic()

    def beat(self) -> None:
        """Records that the follower is alive (at most every ``BEAT_EVERY`` seconds)."""
        if time.monotonic() - self._last_beat < BEAT_EVERY:
            return
        self._last_beat = time.monotonic()
        pending = self._pending
        self._put(heartbeat_at=datetime.now(UTC), **pending)
        if self._pending is pending:
            self._pending = {}

    def failed(self, error: BaseException, restarts: int) -> None:
        """Records a failure now, or with the next heartbeat if the database refuses it."""
        self._pending = {
            "restarts": restarts,
            "last_error": describe(error),
            "last_error_at": datetime.now(UTC),
        }
        self._put(**self._pending)
        self._pending = {}

    def read(self) -> FollowerState | None:
        t = follower_table
        with self._read.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.name == _ROW)).mappings().first()
        if row is None:
            return None
        return FollowerState(
            pid=int(row["pid"]),
            started_at=aware(row["started_at"]),
            heartbeat_at=aware(row["heartbeat_at"]),
            restarts=int(row["restarts"]),
            last_error=row["last_error"],
            last_error_at=aware(row["last_error_at"]) if row["last_error_at"] else None,
        )

    def _put(self, **values: object) -> None:
        t = follower_table
        with self._write.begin() as conn:
            if conn.execute(sa.update(t).where(t.c.name == _ROW).values(**values)).rowcount:
                return
            now = datetime.now(UTC)
            row = {"pid": os.getpid(), "started_at": now, "heartbeat_at": now, "restarts": 0}
            conn.execute(sa.insert(t).values(name=_ROW, **{**row, **values}))


def supervise(
    run: Callable[[threading.Event], None],
    stop: threading.Event,
    health: FollowerHealth,
    *,
    restarts: int = 0,
    min_backoff: float = MIN_BACKOFF,
    max_backoff: float = MAX_BACKOFF,
) -> None:
    """Runs ``run(stop)`` until ``stop`` is set, again after each exception (logged with its
    traceback, recorded in ``health``), waiting ``min_backoff`` seconds, doubling up to
    ``max_backoff``. ``restarts``: restarts before this call (of an earlier process)."""
    delay = min_backoff
    _best_effort(lambda: health.started(restarts))
    while not stop.is_set():
        began = time.monotonic()
        try:
            run(stop)
        except Exception as e:  # whatever stopped it, it is restarted
            if time.monotonic() - began >= STEADY:
                delay = min_backoff
            restarts += 1
            log.error(
                "projection follower stopped (%s); restart %d in %.1f s",
                describe(e),
                restarts,
                delay,
                exc_info=True,
            )
            # Recorded after the wait: a database that is down, or locked, now may not be then.
            if stop.wait(delay):
                return
            _best_effort(functools.partial(health.failed, e, restarts))
            delay = min(delay * 2, max_backoff)


def _best_effort(write: Callable[[], None]) -> None:
    """Health is recorded if the database takes it: it may be the very thing that is down."""
    try:
        write()
    except sa.exc.SQLAlchemyError as e:
        log.warning("could not record the follower's health: %s", describe(e))


def follow_supervised(
    store: ProjectionStore,
    stop: threading.Event,
    *,
    interval: float = 0.5,
    restarts: int = 0,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """``store.follow`` under :func:`supervise`, beating ``proj_follower``'s heartbeat;
    ``on_progress(n)`` after each batch of ``n`` log positions."""
    health = FollowerHealth(store.engine)

    def progressed(n: int) -> None:
        health.beat()
        if on_progress is not None:
            on_progress(n)

    def run(stop: threading.Event) -> None:
        store.follow(interval=interval, stop=stop, on_idle=health.beat, on_progress=progressed)

    supervise(run, stop, health, restarts=restarts)
