"""Projection benchmark: catch-up throughput, rebuild memory, list and seat read latency.

Side by side on SQLite and PostgreSQL, in one run per backend:

* catch-up throughput in log events per second — all four projections from zero in one pass
  (what ``tenantry projections catch-up`` does on a new database), each projection rebuilt
  alone, and each projection's live tables caught up from a whole log behind (a follower that
  was down: their secondary indexes are kept up to date row by row) — against a baseline that
  reads the same notifications in the same batches and inserts them into a plain table (this
  takes a second database and log). The baseline runs right before each measure, so every
  ratio compares two runs made moments apart (target: at least 0.5x). The ratio of the
  process's CPU seconds is shown too: on a shared machine it moves less than the wall clock;
* peak resident memory of the process during the one-pass catch-up, at 10% of the log and at
  the end (target: under 300 MB and flat);
* list page latency at the first page and at a page 50,000 rows deep (target: deep within 2x);
* seat-count read latency against a primary-key read of one row (target: within 2x).

The log is written straight through the recorder in batches of 1,000 events, in units of four:
an organization created, its seat limit set, a member added (the organization's
``MemberAdded`` and the membership's ``Provisioned``). ``--orgs`` tops the organization listing
up to that many rows, written straight into its table, for the list latencies::

    python -m benchmarks.projections --events 100000 --backend sqlite
    python -m benchmarks.projections --events 1000000 --orgs 1000000 --pg-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import psutil
import sqlalchemy as sa

import tenantry
from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry
from tenantry.domain import admission, ids
from tenantry.domain.base import Act
from tenantry.domain.membership import Newcomer
from tenantry.domain.organization import Organization
from tenantry.projections import tokens
from tenantry.projections.base import Row, to_micros
from tenantry.projections.organizations import COUNT_KEY, search_text

POSTGRES_URL_ENV = "TENANTRY_BENCH_POSTGRES_URL"
BATCH = 1000
MB = 1024 * 1024
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@contextmanager
def fresh_url(backend: str, workdir: Path, pg_url: str | None) -> Iterator[str]:
    if backend == "sqlite":
        path = workdir / f"proj_{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}?synchronous=NORMAL"
        for suffix in ("", "-wal", "-shm"):
            (Path(f"{path}{suffix}")).unlink(missing_ok=True)
        return
    import psycopg

    assert pg_url is not None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{pg_url}{'&' if '?' in pg_url else '?'}schema={schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def write_log(app: Tenantry, events: int) -> None:
    """About ``events`` events, four per organization (see the module's docstring)."""
    pending = []
    for i in range(max(events // 4, 1)):
        now = T0 + timedelta(seconds=i)
        org = Organization.create(
            id=ids.new_id(),  # what the application gives an organization
            now=now,
            actor="bench",
            reason=None,
            display_name=f"Organization {i:07d}",
            external_id=f"ext-{i}",
            slug=None,
            logo_url=None,
            region_code="US",
            metadata={"plan": "pro"},
        )
        org.set_limit(10, now, "bench", None)
        email = f"member{i}@bench.example"
        user = ids.user_uuid(email)
        newcomer = Newcomer(user, email, ["member"], {})
        member = admission.add(org, None, newcomer, "direct_provision", Act(now, "bench"))
        pending += [app.mapper.to_stored_event(e) for e in org.collect_events()]
        pending += [app.mapper.to_stored_event(e) for e in member.collect_events()]
        if len(pending) >= BATCH:
            app.recorder.insert_events(pending)
            pending = []
    if pending:
        app.recorder.insert_events(pending)


@dataclass(frozen=True)
class Took:
    wall: float
    cpu: float
    """CPU seconds of this process: on SQLite all the work; unlike the wall clock, not slowed
    by the other processes of a shared machine."""


@contextmanager
def clocks() -> Iterator[list[Took]]:
    out: list[Took] = []
    wall, cpu = time.perf_counter(), time.process_time()
    yield out
    out.append(Took(time.perf_counter() - wall, time.process_time() - cpu))


def baseline(app: Tenantry, engine: sa.Engine, batch: int = BATCH) -> Took:
    """Read the notifications in batches, insert each batch into a plain table."""
    md = sa.MetaData()
    plain = sa.Table(
        "bench_plain",
        md,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("topic", sa.Text),
        sa.Column("state", sa.LargeBinary),
    )
    md.drop_all(engine)
    md.create_all(engine)
    start = 0
    with clocks() as took:
        while True:
            notes = app.recorder.select_notifications(
                start=start, limit=batch, inclusive_of_start=False
            )
            if not notes:
                break
            with engine.begin() as conn:
                rows = [{"id": x.id, "topic": x.topic, "state": x.state} for x in notes]
                conn.execute(sa.insert(plain), rows)
            start = notes[-1].id
    md.drop_all(engine)
    return took[0]


class RssSampler:
    def __init__(self) -> None:
        self.proc = psutil.Process(os.getpid())
        self.peak = 0
        self.at_10pct: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def latency_ms(fn: Callable[[], object], reps: int) -> float:
    for _ in range(5):
        fn()
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def top_up_orgs(store: ProjectionStore, total: int) -> None:
    """Adds organizations straight into the live listing table until it holds ``total``."""
    gen = store._live_generation(store.view("organizations"))
    orgs, io = gen.tables["orgs"], gen.io["orgs"]
    with store.engine.connect() as conn:
        have = conn.execute(sa.select(sa.func.count()).select_from(orgs)).scalar_one()
        top = conn.execute(sa.select(sa.func.max(orgs.c.seq))).scalar() or 0
    at = to_micros(T0)
    for start in range(have, total, 10_000):
        rows: list[Row] = []
        for i in range(start, min(start + 10_000, total)):
            org_id = ids.encode(ids.ORG, ids.new_id())
            row: Row = {
                "id": org_id,
                "seq": top + 1 + i,
                "display_name": f"Extra organization {i:07d}",
                "external_id": None,
                "slug": None,
                "logo_url": None,
                "region_code": "US",
                "metadata": {},
                "features": {},
                "create_time": at,
                "update_time": at,
                "version": 1,
            }
            row["search"] = search_text(row)
            rows.append(row)
        with store._write.begin() as conn:
            io.upsert_rows(conn, rows)
            count = gen.tables["orgs_count"]
            conn.execute(
                sa.update(count).where(count.c.key == COUNT_KEY).values(n=count.c.n + len(rows))
            )


def ratio(events: int, took: Took, base: Took) -> str:
    return (
        f"{events / took.wall:,.0f} vs {events / base.wall:,.0f} = **{base.wall / took.wall:.2f}x**"
        f" (CPU: {base.cpu / took.cpu:.2f}x)"
    )


@contextmanager
def opened(
    backend: str, workdir: Path, pg_url: str | None
) -> Iterator[tuple[Tenantry, ProjectionStore]]:
    """An application and its projection store on a fresh database, closed afterwards."""
    with fresh_url(backend, workdir, pg_url) as url:
        app = tenantry.connect(url)
        store = ProjectionStore(app, batch_size=BATCH)
        try:
            yield app, store
        finally:
            store.close()
            app.close()


def against_baseline(
    app: Tenantry, store: ProjectionStore, head: int, work: Callable[[], object]
) -> tuple[str, Took]:
    """``work`` timed right after a baseline run: its ratio cell, and the baseline's time."""
    base = baseline(app, store.engine)
    with clocks() as took:
        work()
    return ratio(head, took[0], base), base


def run(
    backend: str,
    events: int,
    orgs: int,
    workdir: Path,
    pg_url: str | None,
    reps: int,
    each: bool = True,
) -> dict[str, str]:
    out: dict[str, str] = {}
    with opened(backend, workdir, pg_url) as (app, store):
        t = time.perf_counter()
        write_log(app, events)
        head = store.head()
        out["events in the log"] = f"{head:,} (written in {time.perf_counter() - t:.0f} s)"
        bases: list[float] = []

        def timed(label: str, work: Callable[[], object]) -> None:
            out[label], base = against_baseline(app, store, head, work)
            bases.append(head / base.wall)

        with RssSampler() as rss:

            def progress(pos: int, _: int) -> None:
                if rss.at_10pct is None and pos >= head // 10:
                    rss.at_10pct = rss.proc.memory_info().rss

            def all_in_one_pass() -> None:
                store.catch_up(progress=progress)

            timed("catch-up, all 4 in one pass, events/s vs baseline", all_in_one_pass)
        out["peak RSS of that pass at 10% / end"] = (
            f"{(rss.at_10pct or 0) / MB:.0f} / {rss.peak / MB:.0f} MB"
        )
        for name in store.views if each else []:
            timed(f"rebuild {name} alone, events/s vs baseline", partial(store.rebuild, name))
        out["baseline events/s (median)"] = f"{statistics.median(bases):,.0f}"

        if orgs:
            top_up_orgs(store, orgs)
        page = store.list_organizations(page_size=100)
        orgs_table = store._live_generation(store.view("organizations")).tables["orgs"]
        depth = min(50_000, max(page.total_size - 100, 0))
        with store.engine.connect() as conn:
            deep_seq = conn.execute(
                sa.select(orgs_table.c.seq).order_by(orgs_table.c.seq).offset(depth).limit(1)
            ).scalar_one()
        deep = tokens.encode(tokens.PageToken("orgs", "", deep_seq, "next", 1), store.secret)
        first_ms = latency_ms(lambda: store.list_organizations(page_size=100), reps)
        deep_ms = latency_ms(lambda: store.list_organizations(page_size=100, page_token=deep), reps)
        out["list page of 100: first vs deep page"] = (
            f"{first_ms:.2f} vs {deep_ms:.2f} ms = **{deep_ms / first_ms:.2f}x** "
            f"({depth:,} rows deep of {page.total_size:,})"
        )
        org_id = page.organizations[0].id
        seat_ms = latency_ms(lambda: store.get_seat_usage(org_id), reps * 4)

        def pk_read() -> None:
            with store.engine.connect() as conn:
                conn.execute(sa.select(orgs_table).where(orgs_table.c.id == org_id)).first()

        pk_ms = latency_ms(pk_read, reps * 4)
        out["seat read vs primary-key read"] = (
            f"{seat_ms:.3f} vs {pk_ms:.3f} ms = **{seat_ms / pk_ms:.2f}x**"
        )
        return out


def behind(backend: str, events: int, workdir: Path, pg_url: str | None) -> dict[str, str]:
    """Catch-up of live tables (secondary indexes kept up to date row by row) that stand a whole
    log behind — a follower that was down — each projection alone, against the baseline."""
    out: dict[str, str] = {}
    with opened(backend, workdir, pg_url) as (app, store):
        store.catch_up()  # the live tables, empty, with their indexes
        write_log(app, events)
        head = store.head()
        for name in store.views:
            label = f"catch-up of live {name} {head:,} events behind, events/s vs baseline"
            out[label], _ = against_baseline(app, store, head, partial(store.catch_up, name))
            assert store.position(name) == head
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="events in the log")
    parser.add_argument(
        "--orgs", type=int, default=0, help="top the listing up to this many organizations"
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--pg-url", default=os.environ.get(POSTGRES_URL_ENV))
    parser.add_argument("--reps", type=int, default=50, help="repetitions per latency")
    parser.add_argument(
        "--each",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also rebuild each projection alone (--no-each halves a long run)",
    )
    parser.add_argument(
        "--behind",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also catch up live tables a whole log behind, each projection alone",
    )
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="tenantry-proj-bench-") as tmp:
        for backend in backends:
            if backend == "postgres" and not args.pg_url:
                print(f"postgres: skipped (set {POSTGRES_URL_ENV} or --pg-url)")
                continue
            t = time.perf_counter()
            results[backend] = run(
                backend, args.events, args.orgs, Path(tmp), args.pg_url, args.reps, args.each
            )
            if args.behind:
                results[backend] |= behind(backend, args.events, Path(tmp), args.pg_url)
            results[backend]["wall time of the run"] = f"{time.perf_counter() - t:.0f} s"
    if results:
        names = list(results)
        print("| measure | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for key in results[names[0]]:
            cells = [results[b].get(key, "") for b in names]
            print(f"| {key} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
