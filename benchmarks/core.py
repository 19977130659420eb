"""Tenantry's write throughput, latency by organization size and memory, beside the baselines.

One command measures everything side by side, on SQLite and on PostgreSQL::

    python -m benchmarks.core            # full: 10 / 1,000 / 100,000-member organizations
    python -m benchmarks.core --quick    # small: 10 / 1,000 / 10,000, fewer commands

Three sections per backend:

**Throughput** (commands per second, one durable transaction per command, one thread):
``tenantry.create`` (``create_organization``) and ``tenantry.invite`` (``invite_member`` of a new
e-mail, spread round-robin over 100 organizations with no seat limit), measured side by side with
the baselines of :mod:`benchmarks.baselines` — (a) CRUD with SQLAlchemy, (b) a bare eventsourcing
application with one event per command, (c) raw DB-API inserts. Each measurement has its own fresh
storage (a new SQLite file, a new PostgreSQL database, removed afterwards); within a round they run
interleaved, ten commands of each in turn, so a slow spell of the shared machine slows all alike.
Every ratio is the median of the per-round ratios.

**Latency by organization size**: three organizations of 10, 1,000 and 100,000 active members
plus 10 % pending invitations (what the organization's ``ExpiryLedger`` holds), each with a seat
limit of 1,000,000 so every invite runs the seat check. They are built once per backend through
the public API (``add_member``/``invite_member``, one invite every 11 commands) on a fast setup
connection — SQLite ``?synchronous=NORMAL``, PostgreSQL ``synchronous_commit=off`` on the scratch
database — and measured on fresh ``connect()`` calls with the default durability:

* ``invite``: ``invite_member`` of a new e-mail on one long-lived application (cache warm after one
  untimed invite per organization), sizes interleaved operation by operation;
* ``load``: ``app.repository.get(org_uuid)`` on a NEW application each time (no aggregate cache:
  latest snapshot + trailing events), and ``get_organization`` likewise on a new application.

**Memory**: for each size, a fresh process (``spawn``) connects, loads the organization and
invites 10 people; it reports its RSS high-water (``resource.getrusage``) and the tracemalloc peak
of that phase. The size of the organization's latest snapshot is read from the store.

The PostgreSQL part uses ``TENANTRY_BENCH_POSTGRES_URL`` (default: the local server
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); if it cannot connect it prints why and
skips PostgreSQL. Times are only compared within one run: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from benchmarks.baselines import (
    BACKENDS,
    DEFAULT_POSTGRES_URL,
    POSTGRES_ES_MODULES,
    POSTGRES_URL_ENV_VAR,
    SQLITE_ES_MODULES,
    Command,
    CommandFactory,
    Measurement,
    fresh_storage,
    measurements_for,
    psycopg_conninfo,
)
from tenantry.adapters.database import connect
from tenantry.application.app import Tenantry
from tenantry.domain import ids

T = TypeVar("T")

N_INVITE_ORGS = 100
SEAT_LIMIT = 1_000_000
PENDING_EVERY = 11  # one command in 11 is an invite: 10 members to 1 pending invitation
MEMORY_INVITES = 10

THROUGHPUT_TARGET = 0.7  # tenantry / bare eventsourcing, same backend
SIZE_RATIO_TARGET = 1.5  # latency of the largest organization / the smallest
CHUNK = 10  # commands of one measurement before switching to the next


@dataclass(frozen=True)
class Settings:
    """How much to measure; ``quick`` is for sanity checks, ``full`` is what the docs show."""

    n: int
    warmup: int
    rounds: int
    sizes: tuple[int, ...]
    invite_ops: int
    load_ops: int


QUICK = Settings(n=100, warmup=30, rounds=2, sizes=(10, 1_000, 10_000), invite_ops=60, load_ops=20)
FULL = Settings(
    n=500, warmup=300, rounds=3, sizes=(10, 1_000, 100_000), invite_ops=200, load_ops=200
)


# ---------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------


def tenantry_url(url: URL, **query: str) -> str:
    """The tenantry database URL for the storage SQLAlchemy ``url`` points at.

    On PostgreSQL the pool is kept small (``pool_size=2``): every command here runs in one thread,
    and the server is shared, so the default ten connections per application would only crowd it.
    """
    text = url.render_as_string(hide_password=False)
    if url.get_backend_name() == "postgresql":
        query = {"pool_size": "2", "max_overflow": "0", **query}
    if query:
        text += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return text


@contextlib.contextmanager
def fast_setup(url: URL) -> Iterator[str]:
    """A tenantry URL on ``url`` with cheap commits, for building test data only.

    SQLite: ``synchronous=NORMAL``. PostgreSQL: ``synchronous_commit=off`` as the scratch
    database's default, reset on exit so later connections are fully durable again.
    """
    if url.get_backend_name() == "sqlite":
        yield tenantry_url(url, synchronous="NORMAL")
        return
    name = sql.Identifier(url.database or "postgres")
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(name))
    try:
        yield tenantry_url(url)
    finally:
        with psycopg.connect(psycopg_conninfo(url), autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} RESET synchronous_commit").format(name))


@contextlib.contextmanager
def opened(database_url: str) -> Iterator[Tenantry]:
    app = connect(database_url)
    try:
        yield app
    finally:
        app.close()


def postgres_skip_reason(pg_url: str) -> str | None:
    """Why PostgreSQL cannot be benchmarked at ``pg_url``, or None if it can."""
    try:
        conninfo = psycopg_conninfo(make_url(pg_url))
        with psycopg.connect(conninfo, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except (psycopg.Error, OSError, ValueError) as e:
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return f"cannot connect to {pg_url}: {first_line}"
    return None


# ---------------------------------------------------------------------------
# Throughput: tenantry beside the baselines
# ---------------------------------------------------------------------------


def tenantry_create(backend: str, workdir: Path, pg_url: str | None) -> CommandFactory:
    """``tenantry.create``: ``create_organization`` (one Organization event) per command."""

    @contextlib.contextmanager
    def factory() -> Iterator[Command]:
        with fresh_storage(backend, workdir, pg_url) as url, opened(tenantry_url(url)) as app:

            def command(i: int) -> None:
                app.create_organization(f"Organization number {i:08d}")

            yield command

    return factory


def tenantry_invite(backend: str, workdir: Path, pg_url: str | None) -> CommandFactory:
    """``tenantry.invite``: ``invite_member`` of a new e-mail, round-robin over 100 orgs."""

    @contextlib.contextmanager
    def factory() -> Iterator[Command]:
        with fresh_storage(backend, workdir, pg_url) as url, opened(tenantry_url(url)) as app:
            orgs = [app.create_organization(f"Org {k}").id for k in range(N_INVITE_ORGS)]

            def command(i: int) -> None:
                app.invite_member(orgs[i % N_INVITE_ORGS], f"user{i}@example.com")

            yield command

    return factory


def throughput_measurements(backend: str, workdir: Path, pg_url: str | None) -> list[Measurement]:
    return [
        Measurement("tenantry.create", tenantry_create(backend, workdir, pg_url)),
        Measurement("tenantry.invite", tenantry_invite(backend, workdir, pg_url)),
        *measurements_for(backend, workdir, pg_url),
    ]


def measure_interleaved(items: list[Measurement], n: int, warmup: int) -> dict[str, float]:
    """Commands per second of each measurement, run side by side on its own fresh storage.

    After an untimed warm-up of each, the ``n`` commands are run in chunks of ``CHUNK``, one
    chunk of each measurement in turn (A B C A B C …, the order rotating every pass), so a slow
    spell of the shared machine slows every measurement alike.
    """
    with contextlib.ExitStack() as stack:
        commands = [stack.enter_context(m.factory()) for m in items]
        for command in commands:
            for i in range(warmup):
                command(-1 - i)
        elapsed = [0.0] * len(items)
        for p, start in enumerate(range(0, n, CHUNK)):
            for k in rotated(list(range(len(items))), p):
                command = commands[k]
                started = time.perf_counter()
                for i in range(start, min(start + CHUNK, n)):
                    command(i)
                elapsed[k] += time.perf_counter() - started
    return {m.key: n / t for m, t in zip(items, elapsed, strict=True)}


def run_throughput(
    backend: str, settings: Settings, workdir: Path, pg_url: str | None
) -> list[dict[str, float]]:
    """``settings.rounds`` rounds, each on fresh storage, of every measurement interleaved."""
    items = throughput_measurements(backend, workdir, pg_url)
    rounds: list[dict[str, float]] = []
    for r in range(settings.rounds):
        rounds.append(measure_interleaved(items, settings.n, settings.warmup))
        summary = ", ".join(f"{k} {v:.0f}/s" for k, v in rounds[-1].items())
        progress(f"[{backend}] round {r + 1}/{settings.rounds}: {summary}")
    return rounds


def median_ratio(rounds: list[dict[str, float]], a: str, b: str) -> float:
    return statistics.median(r[a] / r[b] for r in rounds)


# ---------------------------------------------------------------------------
# Latency and memory by organization size
# ---------------------------------------------------------------------------


@dataclass
class SizedOrg:
    """An organization built for the latency section, with what was measured on it."""

    size: int
    members: int
    pending: int
    public_id: str
    setup_seconds: float
    invite_ms: list[float] = field(default_factory=list)
    load_ms: list[float] = field(default_factory=list)
    get_ms: list[float] = field(default_factory=list)
    snapshot_bytes: int = 0
    memory: MemoryUse | None = None

    @property
    def uuid(self) -> UUID:
        return ids.decode(ids.ORG, self.public_id, "organization_id")


@dataclass(frozen=True)
class MemoryUse:
    rss_before_mib: float  # RSS high-water after imports and connect, before the phase
    rss_peak_mib: float  # RSS high-water at the end of the phase
    traced_peak_mib: float  # tracemalloc peak during the phase (load + invites)


def build_org(app: Tenantry, size: int, tag: str) -> SizedOrg:
    """An organization of ``size`` active members and ``size // 10`` pending invitations,
    mixed as they would arrive, with a seat limit above the count."""
    pending = size // (PENDING_EVERY - 1)
    started = time.perf_counter()
    org = app.create_organization(f"Benchmark {tag}")
    app.upsert_user_management_settings(org.id, SEAT_LIMIT)
    for k in range(size + pending):
        email = f"{tag}-{k}@example.com"
        if k % PENDING_EVERY == PENDING_EVERY - 1:
            app.invite_member(org.id, email)
        else:
            app.add_member(org.id, email)
        if k and k % 10_000 == 0:
            progress(f"  built {k:,}/{size + pending:,} of {tag}")
    usage = app.get_seat_usage(org.id)
    if (usage.active_members, usage.pending_invitations) != (size, pending):
        msg = f"setup of {tag} gave {usage}, expected {size} members and {pending} pending"
        raise RuntimeError(msg)
    return SizedOrg(size, size, pending, org.id, time.perf_counter() - started)


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method: never beyond the largest value)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def timed_ms(call: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    call(*args)
    return (time.perf_counter() - started) * 1000


def measure_latencies(database_url: str, orgs: list[SizedOrg], s: Settings) -> None:
    """Invite, then load, each organization in turn (A B C A B C …), on durable connections."""
    with opened(database_url) as app:
        for org in orgs:  # untimed: the first command loads the organization into the cache
            app.invite_member(org.public_id, f"warm-{org.size}@example.com")
        for j in range(s.invite_ops):
            for org in rotated(orgs, j):
                email = f"lat-{org.size}-{j}@example.com"
                org.invite_ms.append(timed_ms(app.invite_member, org.public_id, email))
    for j in range(s.load_ops):
        for org in rotated(orgs, j):
            with opened(database_url) as fresh:
                fresh.recorder.max_notification_id()  # connected before the clock starts
                org.load_ms.append(timed_ms(fresh.repository.get, org.uuid))
            with opened(database_url) as fresh:
                fresh.recorder.max_notification_id()
                org.get_ms.append(timed_ms(fresh.get_organization, org.public_id))


def rotated(items: list[T], j: int) -> list[T]:
    k = j % len(items)
    return items[k:] + items[:k]


def snapshot_bytes(database_url: str, org_uuid: UUID) -> int:
    with opened(database_url) as app:
        if app.snapshots is None:
            return 0
        records = app.snapshots.recorder.select_events(org_uuid, desc=True, limit=1)
        return len(records[0].state) if records else 0


def memory_of_phase(database_url: str, public_id: str, tag: str) -> MemoryUse:
    """Runs in a fresh process: connect, then load the organization and invite a few people."""
    with opened(database_url) as app:
        app.recorder.max_notification_id()
        before = max_rss_mib()
        tracemalloc.start()
        app.get_organization(public_id)
        for k in range(MEMORY_INVITES):
            app.invite_member(public_id, f"mem-{tag}-{k}@example.com")
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return MemoryUse(before, max_rss_mib(), traced_peak / 2**20)


def max_rss_mib() -> float:
    """This process's RSS high-water (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def measure_memory(database_url: str, orgs: list[SizedOrg]) -> None:
    spawn = multiprocessing.get_context("spawn")
    for org in orgs:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            org.memory = pool.submit(
                memory_of_phase, database_url, org.public_id, str(org.size)
            ).result()


def run_sizes(backend: str, s: Settings, workdir: Path, pg_url: str | None) -> list[SizedOrg]:
    with fresh_storage(backend, workdir, pg_url) as url:
        orgs: list[SizedOrg] = []
        with fast_setup(url) as setup_url, opened(setup_url) as setup:
            for size in s.sizes:
                progress(f"[{backend}] building the {size:,}-member organization")
                orgs.append(build_org(setup, size, f"s{size}"))
        durable_url = tenantry_url(url)
        progress(f"[{backend}] measuring invite and load latency")
        measure_latencies(durable_url, orgs, s)
        progress(f"[{backend}] measuring memory")
        measure_memory(durable_url, orgs)
        for org in orgs:
            org.snapshot_bytes = snapshot_bytes(durable_url, org.uuid)
        return orgs


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_throughput(backend: str, rounds: list[dict[str, float]], s: Settings) -> None:
    print(
        f"\n### {backend}: throughput, commands/s "
        f"(median of {len(rounds)} rounds; n={s.n}, warmup={s.warmup})\n"
    )
    print("| measurement | median | min | max |")
    print("|---|---:|---:|---:|")
    for key in rounds[0]:
        v = [r[key] for r in rounds]
        print(f"| {key} | {statistics.median(v):.0f} | {min(v):.0f} | {max(v):.0f} |")
    fastest, other = SQLITE_ES_MODULES if backend == "sqlite" else POSTGRES_ES_MODULES
    print("\n| ratio (median of per-round ratios) | create | invite | target |")
    print("|---|---:|---:|---|")
    rows = [
        (f"tenantry / (b) bare_es[{fastest}]", f"bare_es[{fastest}]", f"≥ {THROUGHPUT_TARGET}"),
        (f"tenantry / (b) bare_es[{other}]", f"bare_es[{other}]", ""),
        ("tenantry / (a) crud", "crud", ""),
    ]
    for label, base, target in rows:
        c = median_ratio(rounds, "tenantry.create", f"{base}.create")
        i = median_ratio(rounds, "tenantry.invite", f"{base}.invite")
        met = f" ({verdict(min(c, i) >= THROUGHPUT_TARGET)})" if target else ""
        print(f"| {label} | {c:.2f} | {i:.2f} | {target}{met} |")
    c = median_ratio(rounds, "tenantry.create", "raw.insert")
    i = median_ratio(rounds, "tenantry.invite", "raw.insert")
    print(f"| tenantry / (c) raw.insert | {c:.2f} | {i:.2f} |  |")


def print_sizes(backend: str, orgs: list[SizedOrg], s: Settings) -> None:
    print(
        f"\n### {backend}: latency by organization size, ms "
        f"(invite: {s.invite_ops} ops each; load/get: {s.load_ops} ops each on a new app)\n"
    )
    print(
        "| members + pending | invite p50 | invite p95 | invite p99 | load p50 | load p95 "
        "| get_org p50 "
        "| get_org p95 | snapshot KiB | RSS before→peak MiB | tracemalloc peak MiB | setup s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for o in orgs:
        m = o.memory
        rss = f"{m.rss_before_mib:.0f}→{m.rss_peak_mib:.0f}" if m else "-"
        traced = f"{m.traced_peak_mib:.1f}" if m else "-"
        snap = f"{o.snapshot_bytes / 1024:.0f}" if o.snapshot_bytes else "none"
        print(
            f"| {o.members:,} + {o.pending:,} "
            f"| {statistics.median(o.invite_ms):.2f} | {percentile(o.invite_ms, 95):.2f} "
            f"| {percentile(o.invite_ms, 99):.2f} "
            f"| {statistics.median(o.load_ms):.2f} | {percentile(o.load_ms, 95):.2f} "
            f"| {statistics.median(o.get_ms):.2f} | {percentile(o.get_ms, 95):.2f} "
            f"| {snap} | {rss} | {traced} | {o.setup_seconds:.0f} |"
        )
    small, big = orgs[0], orgs[-1]
    print(f"\n| ratio {big.size:,} / {small.size:,} | p50 | p95 | target (p50) |")
    print("|---|---:|---:|---|")
    for label, attr in (("invite", "invite_ms"), ("load", "load_ms"), ("get_org", "get_ms")):
        a: list[float] = getattr(big, attr)
        b: list[float] = getattr(small, attr)
        p50 = statistics.median(a) / statistics.median(b)
        p95 = percentile(a, 95) / percentile(b, 95)
        ok = verdict(p50 <= SIZE_RATIO_TARGET)
        print(f"| {label} | {p50:.2f} | {p95:.2f} | ≤ {SIZE_RATIO_TARGET} ({ok}) |")


def run_backend(backend: str, s: Settings, workdir: Path, pg_url: str | None) -> None:
    rounds = run_throughput(backend, s, workdir, pg_url)
    print_throughput(backend, rounds, s)
    sys.stdout.flush()
    orgs = run_sizes(backend, s, workdir, pg_url)
    print_sizes(backend, orgs, s)
    print(f"\nprocess RSS high-water after {backend}: {max_rss_mib():.0f} MiB")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a sanity check")
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="all")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(POSTGRES_URL_ENV_VAR) or DEFAULT_POSTGRES_URL,
        help=f"SQLAlchemy URL of a PostgreSQL database (default: ${POSTGRES_URL_ENV_VAR}, "
        f"else {DEFAULT_POSTGRES_URL}); scratch databases are created beside it",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="dir for SQLite files (tmp)")
    args = parser.parse_args(argv)
    s = QUICK if args.quick else FULL
    backends = list(BACKENDS) if args.backend == "all" else [args.backend]
    print(f"## tenantry benchmark ({'quick' if args.quick else 'full'}): {s}")
    with contextlib.ExitStack() as stack:
        workdir: Path = args.workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="tenantry-bench-"))
        )
        for backend in backends:
            pg_url: str | None = args.pg_url if backend == "postgres" else None
            if pg_url is not None and (reason := postgres_skip_reason(pg_url)):
                print(f"\n### postgres: SKIPPED ({reason}; set {POSTGRES_URL_ENV_VAR})")
                continue
            run_backend(backend, s, workdir, pg_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
