"""Costs that grow with history: the invitation-expiry sweep and ``as-of`` lookups, per call,
on one organization whose history grows from 100 to 100,000 events, each side by side with the
way it was done before, in the same run, on SQLite and PostgreSQL.

* sweep: ``expire_invitations`` with a fixed number of invitations due (``--due``), through
  the seats read model's index of pending invitations (what ``tenantry serve`` runs) against
  the sweep without it, which reads the history of each organization that has something due.
  Each call finds its own freshly due invitations; the index is brought to the log's head
  inside the timed call (the invitations of that round are not in it yet);
* as-of: ``get_organization_as_of(org, at=moment)`` (a binary search for the version, then the
  organization from its latest snapshot at or before it) against a replay of the organization's
  events up to the moment (what it did before), at the same random moments.

The history is seat-limit changes, one a second, written through the application in saves of
49 events (so it takes its snapshots as usual), beside 20 invitations pending throughout.
The organization grows in place from one size to the next. Every figure is a median per call;
the ratios compare the two ways at each size, and each new way at the largest size against the
smallest (flat: near 1)::

    python -m benchmarks.history_costs                    # 100 ... 100,000 events
    python -m benchmarks.history_costs --sizes 100,1000 --backend sqlite
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import count
from pathlib import Path
from typing import cast

import tenantry
from benchmarks.projections import POSTGRES_URL_ENV, fresh_url
from tenantry.adapters.projections import ProjectionStore
from tenantry.adapters.projections.due_invitations import PendingInvitationIndex
from tenantry.application import dto, presenters
from tenantry.application.app import Tenantry
from tenantry.domain import ids
from tenantry.domain.errors import VersionNotFound
from tenantry.domain.organization import Organization

SIZES = (100, 1_000, 10_000, 100_000)
SHORT = timedelta(minutes=1)
"""The lifetime of the invitations a sweep finds due."""
LONG = timedelta(days=90)
"""The lifetime of the invitations that stay pending through the run."""
PENDING = 20
"""Invitations pending throughout, beside those the sweeps find due."""
SAVE_EVERY = 49
"""Events per save while the history grows: each save crosses at most one snapshot interval."""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def grow(app: Tenantry, clock: Clock, org_id: str, events: int) -> None:
    """Seat-limit changes, one a second, until the organization has ``events`` events."""
    org = cast(Organization, app._get(ids.decode(ids.ORG, org_id), Organization))
    limit = 1_000_000 + org.version
    while org.version < events:
        for _ in range(min(SAVE_EVERY, events - org.version)):
            clock.advance(timedelta(seconds=1))
            limit += 1
            org.set_limit(limit, app.now(org), "bench", None)
        app.save(org)


def replayed_as_of(app: Tenantry, org_id: str, moment: datetime) -> dto.Organization:
    """The organization at ``moment`` as ``get_organization_as_of`` found it before: a replay of
    its events up to the moment."""
    found: Organization | None = None
    for event in app.events.get(ids.decode(ids.ORG, org_id)):
        if cast(Organization.Event, event).timestamp > moment:
            break
        found = cast(Organization, event.mutate(found))  # type: ignore[attr-defined]
    if found is None or found.is_deleted:
        raise VersionNotFound(org_id, moment.isoformat())
    return presenters.organization_of(found, moment)


def per_call_ms(calls: Iterator[Callable[[], object]], reps: int, budget: float) -> float:
    """Median milliseconds of the first ``reps`` calls, or of fewer (at least 3) if they take
    more than ``budget`` seconds; one untimed call first."""
    next(calls)()  # warm: caches, the statement cache of the connection
    samples: list[float] = []
    started = time.perf_counter()
    for call in calls:
        if len(samples) >= reps or (len(samples) >= 3 and time.perf_counter() - started > budget):
            break
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


class Bench:
    """One database, one organization growing through the sizes, both ways measured at each."""

    def __init__(self, url: str, due: int, reps: int) -> None:
        self.clock = Clock()
        self.app = tenantry.connect(url, clock=self.clock)
        self.store = ProjectionStore(self.app)
        self.index = PendingInvitationIndex(self.store)
        self.due, self.reps = due, reps
        self.org_id = self.app.create_organization("Bench").id
        self.created = self.clock()
        for i in range(PENDING):
            self.app.invite_member(self.org_id, f"pending{i}@bench.example", expires_in=LONG)
        self.emails = count()
        self.rng = random.Random(18)

    def close(self) -> None:
        self.store.close()
        self.app.close()

    def at(self, size: int) -> dict[str, float]:
        t = time.perf_counter()
        grow(self.app, self.clock, self.org_id, size)
        self.store.catch_up("seats")  # the index, as a follower keeps it
        setup = time.perf_counter() - t
        events = self.app.get_organization(self.org_id).version  # the sweeps add a few
        old, new = self.sweeps()
        asof_new, asof_old = self.as_of()
        return {
            "events": events,
            "sweep_old": old,
            "sweep_new": new,
            "asof_old": asof_old,
            "asof_new": asof_new,
            "setup": setup,
        }

    def sweep_ms(self, index: PendingInvitationIndex | None) -> float:
        """One sweep of ``due`` invitations invited and then let expire (untimed)."""
        for _ in range(self.due):
            email = f"due{next(self.emails)}@bench.example"
            self.app.invite_member(self.org_id, email, expires_in=SHORT)
        self.clock.advance(SHORT + timedelta(seconds=1))
        t = time.perf_counter()
        done = self.app.expire_invitations(index=index)
        took = (time.perf_counter() - t) * 1000
        assert done.invitations_expired == self.due, done
        return took

    def sweeps(self) -> tuple[float, float]:
        """Median per sweep without and with the index, interleaved (one round to warm up)."""
        old: list[float] = []
        new: list[float] = []
        for _ in range(self.reps + 1):
            old.append(self.sweep_ms(None))
            new.append(self.sweep_ms(self.index))
        return statistics.median(old[1:]), statistics.median(new[1:])

    def as_of(self) -> tuple[float, float]:
        """Median per lookup at random moments of the history: searched, then replayed."""
        span = (self.clock() - self.created).total_seconds()
        moments = [self.created + timedelta(seconds=self.rng.uniform(0, span)) for _ in range(101)]
        for m in moments[:20]:  # both ways give the same answers
            assert self.app.get_organization_as_of(self.org_id, at=m) == replayed_as_of(
                self.app, self.org_id, m
            )
        app, org = self.app, self.org_id
        searched = per_call_ms(
            (partial(app.get_organization_as_of, org, at=m) for m in moments), 100, 5.0
        )
        replayed = per_call_ms((partial(replayed_as_of, app, org, m) for m in moments), 100, 5.0)
        return searched, replayed


def run(
    backend: str, sizes: list[int], due: int, reps: int, workdir: Path, pg_url: str
) -> list[dict[str, float]]:
    with fresh_url(backend, workdir, pg_url) as url:
        bench = Bench(url, due, reps)
        try:
            rows = []
            for size in sizes:
                rows.append(bench.at(size))
                print(f"{backend}: {rows[-1]}", flush=True)
            return rows
        finally:
            bench.close()


def table(backend: str, rows: list[dict[str, float]], due: int, reps: int) -> str:
    out = [
        f"#### {backend}: per call, ms (median; sweep: {reps} calls each, {due} due; "
        "as-of: 100 random moments, fewer replays when they pass 5 s)",
        "",
        "| events | sweep, index | sweep, histories | histories / index "
        "| as-of, search | as-of, replay | replay / search | setup s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['events']:,.0f} | {r['sweep_new']:.2f} | {r['sweep_old']:.2f} "
            f"| {r['sweep_old'] / r['sweep_new']:.1f}x | {r['asof_new']:.2f} "
            f"| {r['asof_old']:.2f} | {r['asof_old'] / r['asof_new']:.1f}x "
            f"| {r['setup']:.0f} |"
        )
    first, last = rows[0], rows[-1]
    out += [
        "",
        f"| ratio {last['events']:,.0f} / {first['events']:,.0f} events | index / search "
        "| histories / replay |",
        "|---|---:|---:|",
        f"| sweep | {last['sweep_new'] / first['sweep_new']:.2f} "
        f"| {last['sweep_old'] / first['sweep_old']:.1f} |",
        f"| as-of | {last['asof_new'] / first['asof_new']:.2f} "
        f"| {last['asof_old'] / first['asof_old']:.1f} |",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="history sizes")
    parser.add_argument("--due", type=int, default=10, help="invitations due per sweep")
    parser.add_argument("--reps", type=int, default=5, help="sweeps per way and size")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            POSTGRES_URL_ENV, "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    tables = []
    with tempfile.TemporaryDirectory(prefix="tenantry-history-bench-") as tmp:
        for backend in backends:
            try:
                rows = run(backend, sizes, args.due, args.reps, Path(tmp), args.pg_url)
            except ImportError as e:  # pragma: no cover - the bench extra checks this
                print(f"{backend}: skipped ({e})")
                continue
            tables.append(table(backend, rows, args.due, args.reps))
    print("\n\n".join(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
