"""Projection benchmark: catch-up throughput, rebuild memory, list and seat read latency.

Side by side on SQLite and PostgreSQL, in one run:

* catch-up (a rebuild of the ``organizations`` projection from zero) in events/s, against a
  baseline that reads the same notifications in the same batches and inserts them into a plain
  table (target: at least 0.5x the baseline);
* peak resident memory during that rebuild, at 10% of the log and at the end (target: under
  300 MB and flat);
* list page latency at the first page and at a page 50,000 rows deep (target: deep within 2x);
* seat-count read latency against a primary-key read of one row (target: within 2x).

The log is written straight through the recorder in batches of 1,000 events (organizations
created with a member each), so setting up 1,000,000 events takes minutes, not hours::

    python -m benchmarks.projections --events 20000 --backend sqlite
    python -m benchmarks.projections --events 1000000 --pg-url postgresql+psycopg://...
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import sqlalchemy as sa

import tenantry
from tenantry.adapters.projections import ProjectionStore
from tenantry.application.app import Tenantry
from tenantry.domain.organization import Organization
from tenantry.projections import tokens

POSTGRES_URL_ENV = "TENANTRY_BENCH_POSTGRES_URL"
BATCH = 1000


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
    """``events`` events: organizations, each created and given a seat limit (2 events)."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    pending = []
    for i in range(events // 2):
        org = Organization.create(
            id=uuid.uuid4(),
            now=t0 + timedelta(seconds=i),
            actor="bench",
            reason=None,
            display_name=f"Organization {i:07d}",
            external_id=f"ext-{i}",
            slug=None,
            logo_url=None,
            region_code="US",
            metadata={"plan": "pro"},
        )
        org.set_limit(10, t0 + timedelta(seconds=i), "bench", None)
        pending += [app.mapper.to_stored_event(e) for e in org.collect_events()]
        if len(pending) >= BATCH:
            app.recorder.insert_events(pending)
            pending = []
    if pending:
        app.recorder.insert_events(pending)


def baseline(app: Tenantry, engine: sa.Engine) -> float:
    """Events/s: read the notifications in batches, insert each batch into a plain table."""
    md = sa.MetaData()
    plain = sa.Table(
        "bench_plain",
        md,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("topic", sa.Text),
        sa.Column("state", sa.LargeBinary),
    )
    md.create_all(engine)
    start, n, t = 0, 0, time.perf_counter()
    while True:
        notes = app.recorder.select_notifications(
            start=start, limit=BATCH, inclusive_of_start=False
        )
        if not notes:
            break
        with engine.begin() as conn:
            conn.execute(
                sa.insert(plain), [{"id": x.id, "topic": x.topic, "state": x.state} for x in notes]
            )
        n += len(notes)
        start = notes[-1].id
    return n / (time.perf_counter() - t)


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


def run(backend: str, events: int, workdir: Path, pg_url: str | None, reps: int) -> dict[str, str]:
    with fresh_url(backend, workdir, pg_url) as url:
        app = tenantry.connect(url)
        store = ProjectionStore(app, url, batch_size=BATCH)
        try:
            write_log(app, events)
            head = store.head()
            base = baseline(app, store.engine)
            with RssSampler() as rss:

                def progress(pos: int, _: int) -> None:
                    if rss.at_10pct is None and pos >= head // 10:
                        rss.at_10pct = rss.proc.memory_info().rss

                t = time.perf_counter()
                store.rebuild("organizations", progress=progress)
                rate = head / (time.perf_counter() - t)
            page = store.list_organizations(page_size=100)
            orgs_table = store._live_generation(store.view("organizations")).tables["orgs"]
            with store.engine.connect() as conn:
                deep_seq = conn.execute(
                    sa.select(orgs_table.c.seq)
                    .order_by(orgs_table.c.seq)
                    .offset(min(50_000, max(page.total_size - 100, 0)))
                    .limit(1)
                ).scalar_one()
            deep = tokens.encode(tokens.PageToken("orgs", "", deep_seq, "next", 1))
            first_ms = latency_ms(lambda: store.list_organizations(page_size=100), reps)
            deep_ms = latency_ms(
                lambda: store.list_organizations(page_size=100, page_token=deep), reps
            )
            store.catch_up("seats")
            org_id = page.organizations[0].id
            seat_ms = latency_ms(lambda: store.get_seat_usage(org_id), reps * 4)

            def pk_read() -> None:
                with store.engine.connect() as conn:
                    conn.execute(sa.select(orgs_table).where(orgs_table.c.id == org_id)).first()

            pk_ms = latency_ms(pk_read, reps * 4)
            mb = 1024 * 1024
            return {
                "events": f"{head:,}",
                "catch-up events/s": f"{rate:,.0f}",
                "baseline events/s": f"{base:,.0f}",
                "catch-up / baseline": f"{rate / base:.2f} (target >= 0.5)",
                "peak RSS at 10% / end": f"{(rss.at_10pct or 0) / mb:.0f} / {rss.peak / mb:.0f} MB",
                "list first page ms": f"{first_ms:.2f}",
                f"list page {min(50_000, page.total_size)} deep ms": f"{deep_ms:.2f}",
                "deep / first": f"{deep_ms / first_ms:.2f} (target <= 2)",
                "seat read ms": f"{seat_ms:.3f}",
                "pk read ms": f"{pk_ms:.3f}",
                "seat / pk": f"{seat_ms / pk_ms:.2f} (target <= 2)",
            }
        finally:
            store.close()
            app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="events in the log")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--pg-url", default=os.environ.get(POSTGRES_URL_ENV))
    parser.add_argument("--reps", type=int, default=50, help="repetitions per latency")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="tenantry-proj-bench-") as tmp:
        for backend in backends:
            if backend == "postgres" and not args.pg_url:
                print(f"postgres: skipped (set {POSTGRES_URL_ENV} or --pg-url)")
                continue
            results[backend] = run(backend, args.events, Path(tmp), args.pg_url, args.reps)
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
