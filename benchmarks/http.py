"""HTTP overhead: create and get over HTTP (``tenantry serve``, 8 concurrent connections) against
the same operations called directly on the library in process (8 threads), on SQLite and
PostgreSQL, side by side in one run.

    python -m benchmarks.http                                   # both backends, 3 rounds x 5 s
    python -m benchmarks.http --seconds 2 --rounds 1 --backends sqlite   # a quick look

The load generator is ``wrk`` (C, event loop; ``apt-get install wrk``), so the client costs the
two sides' shared CPU as little as possible: ``wrk -t2 -c8 --latency -s <script>`` with a Lua
script that posts unique names (create) or cycles through the created ids (get). The library
side is 8 threads calling ``Tenantry`` directly. The phases alternate (library create, HTTP
create, library get, HTTP get) for ``--rounds`` rounds, so a busy neighbour slows both sides
alike; rates are pooled over the rounds. The ratio (HTTP/s over library/s) is the figure to
compare between machines, not the absolute rates.

PostgreSQL runs in fresh schemas of ``$TENANTRY_BENCH_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), dropped afterwards. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

import tenantry

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ORGS = "/api/v1/organizations"
GET_IDS = 800  # ids cycled through by the get phases (fits the aggregate cache of 1000)

NUMBERED_THREADS = """
local n = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n)
end
"""

CREATE_LUA = (
    NUMBERED_THREADS
    + """
function init(args)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Content-Type"] = "application/json"
  prefix = args[2] .. "-" .. tid
  count = 0
end
function request()
  count = count + 1
  local body = '{"display_name": "wrk ' .. prefix .. '-' .. count .. '"}'
  return wrk.format(nil, "/api/v1/organizations", nil, body)
end
"""
)

GET_LUA = (
    NUMBERED_THREADS
    + """
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  ids = {}
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  i = tid * 97
end
function request()
  i = i % #ids + 1
  return wrk.format("GET", "/api/v1/organizations/" .. ids[i])
end
"""
)


@dataclass
class Tally:
    """Operations, seconds and latency percentiles (ms) pooled over the rounds."""

    ops: int = 0
    seconds: float = 0.0
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)

    def add(self, ops: int, seconds: float, p50: float, p99: float) -> None:
        self.ops += ops
        self.seconds += seconds
        self.p50.append(p50)
        self.p99.append(p99)

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


# --- the library, in process ------------------------------------------------------------------


def run_threads(
    threads: int, seconds: float, op: Callable[[int, int], None]
) -> tuple[int, float, float, float]:
    """``op(thread, i)`` in ``threads`` threads for ``seconds``: (ops, elapsed, p50 ms, p99 ms)."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)
    deadline = 0.0

    def worker(n: int) -> None:
        mine: list[float] = []
        barrier.wait()
        i = 0
        while (start := time.perf_counter()) < deadline:
            op(n, i)
            mine.append(time.perf_counter() - start)
            i += 1
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    started = time.perf_counter()
    deadline = started + seconds
    barrier.wait()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    ms = [v * 1000 for v in latencies]
    return len(ms), elapsed, percentile(ms, 0.50), percentile(ms, 0.99)


class Library:
    def __init__(self, url: str, threads: int) -> None:
        self.app = tenantry.connect(url)
        self.threads = threads
        self.ids: list[str] = []
        self.round = 0

    def create(self, seconds: float) -> tuple[int, float, float, float]:
        self.round += 1
        made: list[list[str]] = [[] for _ in range(self.threads)]

        def op(n: int, i: int) -> None:
            made[n].append(self.app.create_organization(f"lib {self.round}-{n}-{i}").id)

        result = run_threads(self.threads, seconds, op)
        self.ids = [i for ids in made for i in ids][:GET_IDS]
        return result

    def get(self, seconds: float) -> tuple[int, float, float, float]:
        ids = self.ids

        def op(n: int, i: int) -> None:
            self.app.get_organization(ids[(n * 97 + i) % len(ids)])

        return run_threads(self.threads, seconds, op)

    def close(self) -> None:
        self.app.close()


# --- HTTP, through wrk --------------------------------------------------------------------------


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(out: str) -> tuple[int, float, float, float]:
    """(requests, seconds, p50 ms, p99 ms) from ``wrk --latency`` output; refuses errors."""
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad or "Socket errors" in out:
        raise RuntimeError(f"wrk saw failed requests:\n{out}")
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m),", out)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    elapsed = float(total[2]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[total[3]]

    def latency(p: str) -> float:
        found = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)$", out, re.M)
        if found is None:
            raise RuntimeError(f"no {p}% latency in wrk output:\n{out}")
        return float(found[1]) * _UNITS[found[2]]

    return int(total[1]), elapsed, latency("50"), latency("99")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(url: str, workers: int = 1, args: Sequence[str] = ()) -> Iterator[tuple[str, str]]:
    """``tenantry serve`` on ``url`` (``args``: more options); yields (base URL, bearer token)."""
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
        [
            *(exe, "serve", "--database-url", url, "--port", str(port)),
            *("--workers", str(workers), "--log-level", "warning"),
            *args,
        ],
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


def created_ids(base: str, token: str) -> list[str]:
    """The ids of up to ``GET_IDS`` organizations served at ``base``, for the get phases."""
    ids: list[str] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        page_token = None
        while len(ids) < GET_IDS:
            params = {"page_size": 100, **({"page_token": page_token} if page_token else {})}
            page = c.get(ORGS, params=params).raise_for_status().json()
            ids += [o["id"] for o in page["organizations"]]
            page_token = page.get("next_page_token")
            if not page_token:
                break
    return ids[:GET_IDS]


class Http:
    def __init__(self, base: str, token: str, connections: int, tmp: Path) -> None:
        self.base, self.token, self.connections = base, token, connections
        self.create_lua = tmp / "create.lua"
        self.get_lua = tmp / "get.lua"
        self.ids = tmp / f"ids-{uuid.uuid4().hex}.txt"
        self.create_lua.write_text(CREATE_LUA)
        self.get_lua.write_text(GET_LUA)
        self.round = 0

    def wrk(self, script: Path, seconds: float, *args: str) -> tuple[int, float, float, float]:
        command = [
            "wrk", "-t2", f"-c{self.connections}", f"-d{max(1, round(seconds))}s",
            "--latency", "-s", str(script), self.base, "--", self.token, *args,
        ]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        return parse_wrk(out)

    def create(self, seconds: float) -> tuple[int, float, float, float]:
        self.round += 1
        result = self.wrk(self.create_lua, seconds, f"r{self.round}")
        self.ids.write_text("\n".join(created_ids(self.base, self.token)) + "\n")
        return result

    def get(self, seconds: float) -> tuple[int, float, float, float]:
        return self.wrk(self.get_lua, seconds, str(self.ids))


# --- the run ------------------------------------------------------------------------------------


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


def compare(name: str, tmp: Path, args: argparse.Namespace) -> list[str]:
    tallies = {(side, op): Tally() for side in ("lib", "http") for op in ("create", "get")}
    with backend(name, tmp) as lib_url, backend(name, tmp) as http_url:
        if lib_url is None or http_url is None:
            return []
        library = Library(lib_url, args.clients)
        try:
            with served(http_url, args.workers) as (base, token):
                http = Http(base, token, args.clients, tmp)
                for _ in range(args.rounds):
                    for op in ("create", "get"):
                        for side, runner in (("lib", library), ("http", http)):
                            tallies[side, op].add(*getattr(runner, op)(args.seconds))
        finally:
            library.close()
    rows = []
    for op in ("create", "get"):
        lib, over = tallies["lib", op], tallies["http", op]
        rows.append(
            f"| {name} | {op} | {lib.rate:.0f} | {over.rate:.0f} | {over.rate / lib.rate:.2f} "
            f"| {max(lib.p50):.2f} / {max(lib.p99):.2f} "
            f"| {max(over.p50):.2f} / {max(over.p99):.2f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5, help="per phase and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8, help="threads / connections")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=1, help="of tenantry serve")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("this benchmark needs wrk: apt-get install wrk")
    print(
        f"{args.clients} clients, {args.rounds} rounds x {args.seconds:g} s per phase; "
        "p50 / p99: the worst round's, in ms"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backends.split(","):
            rows += compare(name, Path(tmp), args)
    print("| backend | op | library/s | HTTP/s | ratio | library p50 / p99 | HTTP p50 / p99 |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
