"""The invitation-expiry sweep on a schedule, run by ``tenantry serve`` so that no cron is
needed, and once per period across every server process on one database.

Table ``sweep_schedule`` (one row per schedule, in the adapters' tables): a lease (its owner
and until when it holds), when the sweep is next due, and the last run (when, how many
invitations it expired, its error). A process takes the lease only when the sweep is due and
no other process holds it (the row is read and written in one transaction: ``SELECT … FOR
UPDATE`` on PostgreSQL, SQLite's write lock), runs the sweep, then records the run and the next
due time and gives the lease back. A process that dies mid-run keeps the lease only until it
expires; another then runs the sweep.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import sqlalchemy as sa

from tenantry.adapters.database import create_all
from tenantry.adapters.projections.failures import aware, describe
from tenantry.application.app import Tenantry
from tenantry.application.expiry import DueInvitationIndex

log = logging.getLogger("tenantry.expiry")

DEFAULT_INTERVAL: Final = 3600.0
INTERVAL_ENV: Final = "TENANTRY_EXPIRY_INTERVAL_SECONDS"
"""Seconds between sweeps for ``tenantry serve`` (``0``: no sweep)."""
DEFAULT_LEASE: Final = timedelta(minutes=10)
"""How long a sweep may run before another process may take over."""
CHECK_EVERY: Final = 30.0
"""Seconds between a process's looks at whether the sweep is due."""
NAME: Final = "invitation-expiry"

metadata = sa.MetaData()
schedule_table = sa.Table(
    "sweep_schedule",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("next_due_at", sa.DateTime(timezone=True)),
    sa.Column("last_run_at", sa.DateTime(timezone=True)),
    sa.Column("last_expired", sa.Integer),
    sa.Column("last_error", sa.Text),
)


@dataclass(frozen=True)
class SweepRun:
    last_run_at: datetime | None
    expired: int | None
    error: str | None


class ExpirySchedule:
    """Runs ``app.expire_invitations()`` (then ``app.expire_portal_links()`` and
    ``app.purge_deleted_organizations()``) every
    ``interval`` seconds, once across the processes that share ``engine``'s database."""

    def __init__(
        self,
        app: Tenantry,
        engine: sa.Engine,
        *,
        interval: float = DEFAULT_INTERVAL,
        lease: timedelta = DEFAULT_LEASE,
        clock: Callable[[], datetime] | None = None,
        index: DueInvitationIndex | None = None,
    ) -> None:
        self.app = app
        self.index = index
        """Where the sweep finds due invitations (``None``: in the organizations' histories)."""
        self.engine = engine
        self.interval = timedelta(seconds=interval)
        self.lease = lease
        self.clock = clock or app.clock
        self.owner = uuid.uuid4().hex
        create_all(metadata, engine)
        t = schedule_table
        try:
            with engine.begin() as conn:
                if conn.execute(sa.select(t.c.name).where(t.c.name == NAME)).first() is None:
                    conn.execute(sa.insert(t).values(name=NAME))
        except sa.exc.IntegrityError:
            pass  # another process inserted it first

    def run_if_due(self) -> bool:
        """Runs the sweep if it is due and no other process is running it; whether it ran."""
        if not self._take_lease():
            return False
        expired: int | None = None
        error: str | None = None
        try:
            expired = self.app.expire_invitations(index=self.index).invitations_expired
            self.app.expire_portal_links()  # links (and their sessions) past their time
            self.app.purge_deleted_organizations()  # deleted ones past their restore period
        except Exception as e:  # recorded and logged; the next period tries again
            error = describe(e)
            log.error("invitation-expiry sweep failed: %s", error, exc_info=True)
        now = self._now()
        t = schedule_table
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(t)
                .where(t.c.name == NAME, t.c.lease_owner == self.owner)
                .values(
                    lease_owner=None,
                    lease_until=None,
                    next_due_at=now + self.interval,
                    last_run_at=now,
                    last_expired=expired,
                    last_error=error,
                )
            )
        return True

    def last_run(self) -> SweepRun:
        t = schedule_table
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.name == NAME)).mappings().first()
        if row is None or row["last_run_at"] is None:
            return SweepRun(None, None, None)
        return SweepRun(aware(row["last_run_at"]), row["last_expired"], row["last_error"])

    def run_forever(self, stop: threading.Event, check_every: float = CHECK_EVERY) -> None:
        """Looks every ``check_every`` seconds whether the sweep is due, until ``stop``."""
        while True:
            try:
                self.run_if_due()
            except sa.exc.SQLAlchemyError as e:  # the database is down: try again later
                log.warning("invitation-expiry schedule: %s", describe(e))
            if stop.wait(check_every):
                return

    def _now(self) -> datetime:
        return aware(self.clock()).astimezone(UTC)

    def _take_lease(self) -> bool:
        now = self._now()
        t = schedule_table
        with self.engine.begin() as conn:
            q = sa.select(t).where(t.c.name == NAME)
            if conn.dialect.name == "postgresql":
                q = q.with_for_update()
            row = conn.execute(q).mappings().first()
            if row is None:
                return False
            due = row["next_due_at"]
            held = row["lease_until"]
            if due is not None and aware(due) > now:
                return False
            if row["lease_owner"] is not None and held is not None and aware(held) > now:
                return False
            taken = conn.execute(
                sa.update(t)
                .where(
                    t.c.name == NAME,
                    # compare-and-set on what was read: on SQLite two readers may both get here
                    t.c.lease_owner.is_(None)
                    if row["lease_owner"] is None
                    else t.c.lease_owner == row["lease_owner"],
                    t.c.next_due_at.is_(None) if due is None else t.c.next_due_at == due,
                )
                .values(lease_owner=self.owner, lease_until=now + self.lease)
            )
            return taken.rowcount == 1
