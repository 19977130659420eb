"""HTTP overhead: create and get over HTTP (``tenantry serve``, 8 concurrent clients) against the
same operations called directly on the library in process, on SQLite and PostgreSQL.

    python -m benchmarks.http                    # 200 operations per client, both backends
    python -m benchmarks.http --ops 30 --backends sqlite   # a quick look

PostgreSQL runs in a fresh schema of ``$TENANTRY_BENCH_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), dropped afterwards. Loopback only.
Figures depend on the machine; run it when the machine is quiet.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

import tenantry

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ORGS = "/api/v1/organizations"


def run_clients(
    clients: int, ops: int, op: Callable[[int, int], None]
) -> tuple[float, list[float]]:
    """Runs ``op(client, i)`` ops times in each of ``clients`` threads; (ops/s, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        mine = []
        barrier.wait()
        for i in range(ops):
            start = time.perf_counter()
            op(n, i)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return clients * ops / (time.perf_counter() - start), latencies


def quantiles(values: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(values, n=100)
    return q[49] * 1000, q[98] * 1000


def bench_library(url: str, clients: int, ops: int) -> dict[str, tuple[float, list[float]]]:
    app = tenantry.connect(url)
    ids: list[list[str]] = [[] for _ in range(clients)]
    try:

        def create(n: int, i: int) -> None:
            ids[n].append(app.create_organization(f"lib {n}-{i}").id)

        def get(n: int, i: int) -> None:
            app.get_organization(ids[n][i])

        return {"create": run_clients(clients, ops, create), "get": run_clients(clients, ops, get)}
    finally:
        app.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(url: str) -> Iterator[tuple[str, str]]:
    """``tenantry serve`` on ``url``; yields (base URL, bearer token)."""
    exe = str(Path(sys.executable).with_name("tenantry"))
    made = subprocess.run(
        [exe, "clients", "create", "bench", "--database-url", url],
        capture_output=True,
        text=True,
        check=True,
    )
    creds = dict(line.split(": ", 1) for line in made.stdout.splitlines() if ": " in line)
    port = free_port()
    proc = subprocess.Popen(
        [exe, "serve", "--database-url", url, "--port", str(port), "--log-level", "warning"],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        token = httpx.post(
            f"{base}/oauth/token",
            data={"grant_type": "client_credentials", **creds},
        ).json()["access_token"]
        yield base, token
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def bench_http(url: str, clients: int, ops: int) -> dict[str, tuple[float, list[float]]]:
    ids: list[list[str]] = [[] for _ in range(clients)]
    with served(url) as (base, token):
        sessions = [
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            for _ in range(clients)
        ]
        try:

            def create(n: int, i: int) -> None:
                r = sessions[n].post(ORGS, json={"display_name": f"http {n}-{i}"})
                r.raise_for_status()
                ids[n].append(r.json()["organization"]["id"])

            def get(n: int, i: int) -> None:
                sessions[n].get(f"{ORGS}/{ids[n][i]}").raise_for_status()

            return {
                "create": run_clients(clients, ops, create),
                "get": run_clients(clients, ops, get),
            }
        finally:
            for s in sessions:
                s.close()


@contextmanager
def backend(name: str, tmp: Path) -> Iterator[str | None]:
    if name == "sqlite":
        yield f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}"
        return
    import psycopg

    base = os.environ.get("TENANTRY_BENCH_POSTGRES_URL", PG_DEFAULT)
    dsn = base.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as e:
        print(f"postgres: skipped ({e})")
        yield None
        return
    try:
        yield f"{base}{'&' if '?' in base else '?'}schema={schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=200, help="operations per client and kind")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"{args.clients} clients x {args.ops} operations each")
    header = f"{'backend':9} {'op':7} {'library/s':>10} {'http/s':>8} {'ratio':>6} "
    header += f"{'lib p50':>8} {'lib p99':>8} {'http p50':>9} {'http p99':>9}  (ms)"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backends.split(","):
            with backend(name, Path(tmp)) as lib_url:
                if lib_url is None:
                    continue
                lib = bench_library(lib_url, args.clients, args.ops)
            with backend(name, Path(tmp)) as http_url:
                if http_url is None:
                    continue
                over = bench_http(http_url, args.clients, args.ops)
            for op in ("create", "get"):
                (lr, ll), (hr, hl) = lib[op], over[op]
                lp50, lp99 = quantiles(ll)
                hp50, hp99 = quantiles(hl)
                rows.append(
                    f"{name:9} {op:7} {lr:10.0f} {hr:8.0f} {hr / lr:6.2f} "
                    f"{lp50:8.2f} {lp99:8.2f} {hp50:9.2f} {hp99:9.2f}"
                )
    print(header)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
