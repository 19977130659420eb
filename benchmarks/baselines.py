"""Write-throughput baselines for tenantry.

Every measurement is ``n`` commands executed sequentially in one thread, each
command being exactly ONE durable transaction:

* SQLite: file database, ``journal_mode=WAL`` with ``synchronous=FULL`` (the
  SQLite default; every commit fsyncs the WAL).
* PostgreSQL: server defaults (``synchronous_commit=on``).

Three families of baselines are measured per backend:

``crud.*``
    Plain CRUD through SQLAlchemy 2.0 Core. ``create`` inserts one
    ``organizations`` row; ``invite`` inserts one ``memberships`` row and
    increments the organization's counter row in the same transaction.
``bare_es[<persistence module>].*``
    A bare :class:`eventsourcing.application.Application` with a tiny
    aggregate. ``create`` creates and saves one aggregate (one event);
    ``invite`` gets an existing aggregate from the repository, calls
    ``invite`` and saves (one event). Measured on every eventsourcing
    persistence module available for the backend.
``raw.insert``
    One ~300 byte row per transaction through the DB-API driver directly
    (``sqlite3`` / ``psycopg``): the physical limit of one commit per command.

Each measurement uses fresh tables (a fresh SQLite file, or a fresh
PostgreSQL database that is dropped afterwards).

Run by hand::

    python -m benchmarks.baselines --n 500 --repeat 3

The PostgreSQL part uses ``TENANTRY_BENCH_POSTGRES_URL`` (an SQLAlchemy URL
such as ``postgresql+psycopg://postgres@127.0.0.1:5432/test``); when it is
unset the PostgreSQL part is skipped unless ``--pg-url`` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg import sql
from sqlalchemy.engine import URL, Engine, make_url

__all__ = [
    "BACKENDS",
    "DEFAULT_POSTGRES_URL",
    "POSTGRES_URL_ENV_VAR",
    "Command",
    "CommandFactory",
    "Measurement",
    "bare_es_create",
    "bare_es_invite",
    "crud_create",
    "crud_invite",
    "fresh_postgres_db",
    "fresh_storage",
    "measure",
    "measurements_for",
    "psycopg_conninfo",
    "raw_insert",
    "run_baselines",
]

POSTGRES_URL_ENV_VAR = "TENANTRY_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS: tuple[str, ...] = ("sqlite", "postgres")

SQLITE_ES_MODULES: tuple[str, ...] = ("eventsourcing.sqlite", "eventsourcing_sqlalchemy")
POSTGRES_ES_MODULES: tuple[str, ...] = (
    "eventsourcing.postgres",
    "eventsourcing_sqlalchemy",
)

#: Number of organizations pre-created for "invite" measurements; invites are
#: spread round-robin over them so aggregates stay short (about n/N_ORGS events)
#: and replay cost does not dominate.
N_INVITE_ORGS = 100
#: Commands executed (untimed) before the clock starts. Generous on purpose:
#: on a fresh SQLite file the first few hundred commits also grow the WAL file
#: (extra metadata fsyncs), which depresses short runs by up to ~35%.
WARMUP = 300

Command = Callable[[int], None]
"""One command: receives its sequence number, performs ONE durable transaction."""

CommandFactory = Callable[[], AbstractContextManager[Command]]
"""Sets up fresh storage, yields a command, tears the storage down on exit."""


# ---------------------------------------------------------------------------
# Measurement core
# ---------------------------------------------------------------------------


def measure(factory: CommandFactory, n: int, warmup: int = WARMUP) -> float:
    """Return commands per second for ``n`` sequential calls of the command.

    Setup/teardown (inside ``factory``) and ``warmup`` commands are untimed.
    """
    if n <= 0:
        msg = f"n must be positive, got {n}"
        raise ValueError(msg)
    with factory() as command:
        for i in range(warmup):
            command(-1 - i)
        started = time.perf_counter()
        for i in range(n):
            command(i)
        elapsed = time.perf_counter() - started
    return n / elapsed


def _payload(i: int) -> str:
    """A ~300 byte JSON payload, comparable to an organization row."""
    return json.dumps(
        {
            "display_name": f"Organization number {i:08d}",
            "external_id": f"ext-{i:08d}-{uuid.uuid4().hex}",
            "metadata": {"plan": "enterprise", "region": "eu-west-1", "seats": 250},
            "created_at": "2024-01-01T00:00:00+00:00",
            "updated_at": "2024-01-01T00:00:00+00:00",
            "tags": ["alpha", "beta", "gamma", "delta"],
            "pad": "x" * 64,
        }
    )


# ---------------------------------------------------------------------------
# Storage provisioning: fresh SQLite files and fresh PostgreSQL databases
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def _fresh_sqlite_file(workdir: Path) -> Iterator[Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"bench_{uuid.uuid4().hex}.sqlite3"
    try:
        yield path
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{path}{suffix}").unlink()


def psycopg_conninfo(url: URL) -> str:
    return psycopg.conninfo.make_conninfo(
        host=url.host or "127.0.0.1",
        port=str(url.port or 5432),
        user=url.username or "postgres",
        password=url.password or "",
        dbname=url.database or "postgres",
    )


@contextlib.contextmanager
def fresh_postgres_db(pg_url: str) -> Iterator[URL]:
    """Create a scratch database next to ``pg_url``'s; drop it afterwards."""
    admin_url = make_url(pg_url)
    name = f"tenantry_bench_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(psycopg_conninfo(admin_url), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin_url.set(database=name)
    finally:
        with psycopg.connect(psycopg_conninfo(admin_url), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextlib.contextmanager
def fresh_storage(backend: str, workdir: Path, pg_url: str | None) -> Iterator[URL]:
    """Yield an SQLAlchemy URL for fresh, empty storage on ``backend``."""
    if backend == "sqlite":
        with _fresh_sqlite_file(workdir) as path:
            yield make_url(f"sqlite:///{path}")
    elif backend == "postgres":
        if pg_url is None:
            msg = "backend 'postgres' requires pg_url"
            raise ValueError(msg)
        with fresh_postgres_db(pg_url) as url:
            yield url
    else:
        msg = f"unknown backend {backend!r}; expected one of {BACKENDS}"
        raise ValueError(msg)


# ---------------------------------------------------------------------------
# (a) plain CRUD through SQLAlchemy 2.0 Core
# ---------------------------------------------------------------------------

_crud_metadata = sa.MetaData()
organizations = sa.Table(
    "organizations",
    _crud_metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=True, unique=True),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
organization_counters = sa.Table(
    "organization_counters",
    _crud_metadata,
    sa.Column("org_id", sa.Uuid, sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("member_count", sa.Integer, nullable=False),
)
memberships = sa.Table(
    "memberships",
    _crud_metadata,
    sa.Column("org_id", sa.Uuid, sa.ForeignKey("organizations.id"), primary_key=True),
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
)


def _sqlite_durable_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _crud_engine(url: URL) -> Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_durable_pragmas)
    _crud_metadata.create_all(engine)
    return engine


def _org_row(i: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "display_name": f"Organization number {i:08d}",
        "external_id": f"ext-{i:08d}-{uuid.uuid4().hex}",
        "metadata": {"plan": "enterprise", "region": "eu-west-1", "seats": 250},
        "created_at": now,
        "updated_at": now,
    }


def crud_create(backend: str, workdir: Path, pg_url: str | None) -> CommandFactory:
    """``crud.create``: insert one organizations row per transaction."""

    @contextlib.contextmanager
    def factory() -> Iterator[Command]:
        with fresh_storage(backend, workdir, pg_url) as url:
            engine = _crud_engine(url)
            insert = organizations.insert()

            def command(i: int) -> None:
                with engine.begin() as conn:
                    conn.execute(insert, _org_row(i))

            try:
                yield command
            finally:
                engine.dispose()

    return factory


def crud_invite(backend: str, workdir: Path, pg_url: str | None) -> CommandFactory:
    """``crud.invite``: insert a membership + bump the org's counter row."""

    @contextlib.contextmanager
    def factory() -> Iterator[Command]:
        with fresh_storage(backend, workdir, pg_url) as url:
            engine = _crud_engine(url)
            org_ids: list[uuid.UUID] = []
            with engine.begin() as conn:
                for k in range(N_INVITE_ORGS):
                    row = _org_row(k)
                    org_ids.append(row["id"])
                    conn.execute(organizations.insert(), row)
                    conn.execute(
                        organization_counters.insert(),
                        {"org_id": row["id"], "member_count": 0},
                    )
            insert = memberships.insert()
            bump = (
                organization_counters.update()
                .where(organization_counters.c.org_id == sa.bindparam("b_org_id"))
                .values(member_count=organization_counters.c.member_count + 1)
            )

            def command(i: int) -> None:
                org_id = org_ids[i % N_INVITE_ORGS]
                with engine.begin() as conn:
                    conn.execute(
                        insert,
                        {
                            "org_id": org_id,
                            "email": f"user{i}-{uuid.uuid4().hex[:8]}@example.com",
                            "status": "pending",
                            "roles": ["member"],
                            "expires_at": datetime.now(UTC) + timedelta(days=7),
                        },
                    )
                    conn.execute(bump, {"b_org_id": org_id})

            try:
                yield command
            finally:
                engine.dispose()

    return factory


# ---------------------------------------------------------------------------
# (b) bare eventsourcing Application
# ---------------------------------------------------------------------------


class Org(Aggregate):
    """Minimal organization aggregate."""

    @event("Created")
    def __init__(self, display_name: str) -> None:
        self.display_name = display_name
        self.invited: list[str] = []

    @event("MemberInvited")
    def invite(self, email: str) -> None:
        self.invited.append(email)


class BareOrgs(Application[uuid.UUID]):
    """Bare application; unusual name so stray ``<NAME>_*`` env vars don't match."""

    name = "TenantryBenchBareOrgs"

    def create(self, display_name: str) -> uuid.UUID:
        org = Org(display_name)
        self.save(org)
        return org.id

    def invite(self, org_id: uuid.UUID, email: str) -> None:
        org: Org = self.repository.get(org_id)
        org.invite(email)
        self.save(org)


def _es_env(module: str, url: URL) -> dict[str, str]:
    """Constructor env for ``module`` on storage ``url``.

    Passed as ``Application(env=...)``, which wins over ``os.environ`` (which
    itself wins over the class-level ``env``).
    """
    env = {"PERSISTENCE_MODULE": module, "CREATE_TABLE": "y"}
    if module == "eventsourcing.sqlite":
        if url.get_backend_name() != "sqlite" or not url.database:
            msg = f"{module} needs an sqlite file URL, got {url!r}"
            raise ValueError(msg)
        env["SQLITE_DBNAME"] = url.database
    elif module == "eventsourcing.postgres":
        if url.get_backend_name() != "postgresql":
            msg = f"{module} needs a postgresql URL, got {url!r}"
            raise ValueError(msg)
        env.update(
            {
                "POSTGRES_DBNAME": url.database or "postgres",
                "POSTGRES_HOST": url.host or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": url.username or "postgres",
                "POSTGRES_PASSWORD": url.password or "",
            }
        )
    elif module == "eventsourcing_sqlalchemy":
        env["SQLALCHEMY_URL"] = url.render_as_string(hide_password=False)
    else:
        msg = f"unsupported persistence module {module!r}"
        raise ValueError(msg)
    return env


def _close_app(app: BareOrgs) -> None:
    app.close()
    # eventsourcing_sqlalchemy's factory does not dispose its engine on close.
    datastore = getattr(app.recorder, "datastore", None)
    engine = getattr(datastore, "engine", None)
    if isinstance(engine, Engine):
        engine.dispose()


@contextlib.contextmanager
def _bare_app(module: str, backend: str, workdir: Path, pg_url: str | None) -> Iterator[BareOrgs]:
    with fresh_storage(backend, workdir, pg_url) as url:
        app = BareOrgs(env=_es_env(module, url))
        try:
            yield app
        finally:
            _close_app(app)


def bare_es_create(module: str, backend: str, workdir: Path, pg_url: str | None) -> CommandFactory:
    """``bare_es[module].create``: create + save one aggregate (one event)."""

    @contextlib.contextmanager
    def factory() -> Iterator[Command]:
        with _bare_app(module, backend, workdir, pg_url) as app:

            def command(i: int) -> None:
                app.create(f"Organization number {i:08d}")

            yield command

    return factory


def bare_es_invite(module: str, backend: str, workdir: Path, pg_url: str | None) -> CommandFactory:
    """``bare_es[module].invite``: get + invite + save (one event)."""

    @contextlib.contextmanager
    def factory() -> Iterator[Command]:
        with _bare_app(module, backend, workdir, pg_url) as app:
            org_ids = [app.create(f"Org {k}") for k in range(N_INVITE_ORGS)]

            def command(i: int) -> None:
                app.invite(org_ids[i % N_INVITE_ORGS], f"user{i}@example.com")

            yield command

    return factory


# ---------------------------------------------------------------------------
# (c) raw DB-API inserts
# ---------------------------------------------------------------------------


def raw_insert(backend: str, workdir: Path, pg_url: str | None) -> CommandFactory:
    """``raw.insert``: one ~300 byte row per durable transaction via DB-API."""

    @contextlib.contextmanager
    def sqlite_factory() -> Iterator[Command]:
        with _fresh_sqlite_file(workdir) as path:
            conn = sqlite3.connect(path, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute(
                    "CREATE TABLE raw_rows (id INTEGER PRIMARY KEY, "
                    "key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)"
                )

                def command(i: int) -> None:
                    conn.execute("BEGIN")
                    conn.execute(
                        "INSERT INTO raw_rows (key, payload) VALUES (?, ?)",
                        (uuid.uuid4().hex, _payload(i)),
                    )
                    conn.execute("COMMIT")

                yield command
            finally:
                conn.close()

    @contextlib.contextmanager
    def postgres_factory() -> Iterator[Command]:
        if pg_url is None:
            msg = "backend 'postgres' requires pg_url"
            raise ValueError(msg)
        with (
            fresh_postgres_db(pg_url) as url,
            psycopg.connect(psycopg_conninfo(url), autocommit=False) as conn,
        ):
            conn.execute(
                "CREATE TABLE raw_rows (id BIGSERIAL PRIMARY KEY, "
                "key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)"
            )
            conn.commit()

            def command(i: int) -> None:
                conn.execute(
                    "INSERT INTO raw_rows (key, payload) VALUES (%s, %s)",
                    (uuid.uuid4().hex, _payload(i)),
                )
                conn.commit()

            yield command

    if backend == "sqlite":
        return sqlite_factory
    if backend == "postgres":
        return postgres_factory
    msg = f"unknown backend {backend!r}; expected one of {BACKENDS}"
    raise ValueError(msg)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """A named baseline: ``key`` like ``crud.create`` plus its factory."""

    key: str
    factory: CommandFactory


def measurements_for(backend: str, workdir: Path, pg_url: str | None) -> list[Measurement]:
    """All baseline measurements for ``backend``, in a stable order."""
    if backend == "sqlite":
        modules = SQLITE_ES_MODULES
    elif backend == "postgres":
        if pg_url is None:
            msg = "backend 'postgres' requires pg_url"
            raise ValueError(msg)
        modules = POSTGRES_ES_MODULES
    else:
        msg = f"unknown backend {backend!r}; expected one of {BACKENDS}"
        raise ValueError(msg)
    result = [
        Measurement("crud.create", crud_create(backend, workdir, pg_url)),
        Measurement("crud.invite", crud_invite(backend, workdir, pg_url)),
    ]
    for module in modules:
        result.append(
            Measurement(
                f"bare_es[{module}].create",
                bare_es_create(module, backend, workdir, pg_url),
            )
        )
        result.append(
            Measurement(
                f"bare_es[{module}].invite",
                bare_es_invite(module, backend, workdir, pg_url),
            )
        )
    result.append(Measurement("raw.insert", raw_insert(backend, workdir, pg_url)))
    return result


def run_baselines(
    backend: str,
    n: int,
    workdir: Path,
    pg_url: str | None = None,
    *,
    order_offset: int = 0,
    warmup: int = WARMUP,
) -> dict[str, float]:
    """Measure every baseline once for ``backend``; return ops/sec by key.

    ``order_offset`` rotates the execution order, so repeated calls interleave
    measurements differently and slow drift on a noisy machine is spread out.
    """
    items = measurements_for(backend, workdir, pg_url)
    k = order_offset % len(items)
    rotated = items[k:] + items[:k]
    results = {m.key: measure(m.factory, n, warmup) for m in rotated}
    return {m.key: results[m.key] for m in items}


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _print_table(backend: str, rounds: list[dict[str, float]]) -> None:
    keys = list(rounds[0])
    raw = statistics.median(r["raw.insert"] for r in rounds)
    header = f"{'baseline':<44} {'median':>9} {'min':>9} {'max':>9} {'/raw':>6}"
    print(f"\n== {backend}: ops/sec over {len(rounds)} round(s) ==")
    print(header)
    print("-" * len(header))
    for key in keys:
        values = [r[key] for r in rounds]
        med = statistics.median(values)
        print(f"{key:<44} {med:>9.1f} {min(values):>9.1f} {max(values):>9.1f} {med / raw:>6.2f}")


def _print_es_ratios(backend: str, rounds: list[dict[str, float]]) -> None:
    """Per-round ratio first-module / second-module, for create and invite."""
    modules = SQLITE_ES_MODULES if backend == "sqlite" else POSTGRES_ES_MODULES
    a, b = modules
    for op in ("create", "invite"):
        ratios = [r[f"bare_es[{a}].{op}"] / r[f"bare_es[{b}].{op}"] for r in rounds]
        shown = ", ".join(f"{x:.2f}" for x in ratios)
        print(f"  {op}: {a} / {b} = median {statistics.median(ratios):.2f} (per round: {shown})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="commands per measurement")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed commands")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per backend")
    parser.add_argument("--backend", choices=[*BACKENDS, "all"], default="all", help="backend(s)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(POSTGRES_URL_ENV_VAR),
        help=f"SQLAlchemy URL (default: ${POSTGRES_URL_ENV_VAR}; e.g. {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="dir for SQLite files (tmp)")
    args = parser.parse_args(argv)
    n: int = args.n
    repeat: int = args.repeat
    warmup: int = args.warmup
    pg_url: str | None = args.pg_url
    backends = list(BACKENDS) if args.backend == "all" else [args.backend]

    with contextlib.ExitStack() as stack:
        workdir: Path = args.workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="tenantry-bench-"))
        )
        print(
            f"n={n} per measurement, {repeat} round(s), warmup={warmup}, sqlite files in {workdir}"
        )
        for backend in backends:
            if backend == "postgres" and pg_url is None:
                print(
                    f"\n== postgres: SKIPPED ({POSTGRES_URL_ENV_VAR} is unset; "
                    f"e.g. export {POSTGRES_URL_ENV_VAR}={DEFAULT_POSTGRES_URL}) =="
                )
                continue
            rounds: list[dict[str, float]] = []
            for r in range(repeat):
                rounds.append(
                    run_baselines(backend, n, workdir, pg_url, order_offset=r, warmup=warmup)
                )
                print(f"  [{backend}] round {r + 1}/{repeat} done", file=sys.stderr)
            _print_table(backend, rounds)
            _print_es_ratios(backend, rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
